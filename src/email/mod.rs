//! Email: messages are queued in the database with the change that causes them and sent by
//! a background worker (arrives with the Invitations capability).
