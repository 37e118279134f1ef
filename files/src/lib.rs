//! Documents' bytes, apart from the rows that refer to them: the content-addressed store
//! (`store`), reading an upload into it as it arrives (`upload`), and handing a file back
//! (`download`). Both front doors file
//! documents through these.

pub mod content;
pub mod download;
pub mod store;
pub mod upload;
