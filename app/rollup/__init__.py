"""The city roll-up: subscribes to every station's MQTT topics and keeps one SQLite store for all malls."""
