"""The reports service: citizens' field reports, from photo to resolution."""
