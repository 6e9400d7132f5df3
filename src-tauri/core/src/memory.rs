//! The allocator's settings: freed memory goes back to the operating system (finding C in
//! `docs/BENCHMARKS.md`).
//!
//! glibc serves allocations of at least its mmap threshold (128 KiB to start with) with
//! mmaps of their own, and gives them back when they are freed. But each such free raises
//! the threshold (up to 32 MiB), so later 1 MiB tool results come from the heaps instead,
//! which fragment: RSS creeps up with the bytes streamed and stays up after the sessions
//! end. Fixing the threshold at 128 KiB keeps every large payload an mmap of its own.
//! Other platforms and C libraries: nothing to do.

/// Allocations of at least this many bytes are mmaps of their own, returned to the OS when freed.
pub const MMAP_THRESHOLD: usize = 128 * 1024;

/// Fixes the allocator's mmap threshold at [`MMAP_THRESHOLD`] (glibc on Linux; elsewhere
/// nothing). Call once, at the start of the process, before other threads run: the app,
/// the CLI, and the benchmark's processes.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters; it is thread-safe in glibc.
    unsafe {
        if libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int) != 1 {
            tracing::warn!("could not set the allocator's mmap threshold: freed memory may not return to the system");
        }
    }
}

/// Gives the heap's free memory back to the OS (glibc on Linux; elsewhere nothing): after
/// a session ended, its buffers are gone and the memory they held is released.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of the heaps; it is thread-safe in glibc.
    unsafe {
        libc::malloc_trim(0);
    }
}
