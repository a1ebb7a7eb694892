"""One Powertools Router per resource; api.app includes them all."""
