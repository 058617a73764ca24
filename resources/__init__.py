"""Icons and the desktop entry, installed as composer.resources so they are found as package
data."""
