"""Use cases combining the database (data/) with pure scoring (scoring/)."""
