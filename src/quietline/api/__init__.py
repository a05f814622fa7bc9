"""HTTP and WebSocket layer: parse, call one named action, shape the answer."""
