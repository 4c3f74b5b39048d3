pub mod endpoints;
pub mod events;
pub mod trigger;
pub mod verify;
