"""The sensors service: stations and cameras, readings, rules."""
