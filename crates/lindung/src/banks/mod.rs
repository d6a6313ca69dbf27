//! Hash banks: their storage, the formats they are imported from and exported to, the
//! in-memory matcher that follows the change log, and banks kept in files for the command line.

pub mod api;
pub mod entities;
pub mod file_bank;
pub mod formats;
pub mod hma;
pub mod matcher;
pub mod pages;
pub mod store;

pub use file_bank::{BankFileError, FileBank};
pub use formats::{HashList, ListEntry, ListError, ListFormat, parse_hash_list};
