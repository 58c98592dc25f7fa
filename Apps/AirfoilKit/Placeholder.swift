public enum AirfoilKitPlaceholder {}
