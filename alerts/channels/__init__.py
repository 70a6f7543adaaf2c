"""Channel senders: each `send(...)` makes one attempt and returns a `DeliveryResult`."""
