//! Integration tests of the whole app: IPC commands under Tauri's mock runtime, the
//! headless CLI of the real binary, and the generated TypeScript bindings.

mod abuse;
mod bindings;
mod cli;
mod contract;
mod faults;
mod ipc;
mod support;
