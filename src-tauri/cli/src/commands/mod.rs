pub mod describe;
pub mod endpoints;
pub mod events;
pub mod run;
pub mod tail;
pub mod trigger;
pub mod verify;
pub mod wait;
