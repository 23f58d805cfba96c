//! One integration test binary: database isolation, the portal, the console, and the data files.

mod console;
mod data;
mod isolation;
mod portal;
mod sync;
