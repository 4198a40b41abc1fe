"""A sensor gateway: produces readings (a simulated fleet or an MQTT bridge),
keeps them in a durable spool and streams them to the sensors service."""
