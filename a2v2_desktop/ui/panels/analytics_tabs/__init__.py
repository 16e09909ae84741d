"""The Analytics panel's tabs: Overview, Answer quality, Cost, Subscriptions."""
