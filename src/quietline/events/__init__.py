"""The event hub: committed events to the open WebSockets that subscribed to their topics."""
