//! SQLite's memory through Rust's global allocator (mimalloc in the `canopy`
//! binary) instead of glibc's `malloc`. SQLite allocates on whichever thread
//! runs the statement, and glibc gives threads their own arenas (up to 16 on
//! two cores) that keep their peaks: on the large set, after the page sweep,
//! SQLite's page caches and sorters held some 150 MB in sixteen arenas
//! (docs/performance.md, "Memory and saves"). It also drops SQLite's memory
//! statistics, a global mutex taken on every allocation.

use std::alloc::{Layout, alloc, dealloc, realloc};
use std::ffi::{c_int, c_void};

use libsqlite3_sys as ffi;

/// Each block starts with its size, as SQLite's own `malloc` wrapper does:
/// `xSize` and `realloc` need it. Eight bytes keep the block 8-byte aligned.
const HEADER: usize = 8;
const ALIGN: usize = 8;

fn layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, ALIGN).ok()
}

unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
    let Some(layout) = usize::try_from(n).ok().and_then(layout) else {
        return std::ptr::null_mut();
    };
    // SAFETY: the layout has a non-zero size (the header).
    let base = unsafe { alloc(layout) };
    if base.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the block holds the header; base is 8-aligned.
    unsafe {
        (base as *mut usize).write(layout.size() - HEADER);
        base.add(HEADER) as *mut c_void
    }
}

/// The block's start and the size SQLite asked for.
///
/// # Safety
/// `p` came from `x_malloc` or `x_realloc` and was not freed.
unsafe fn block(p: *mut c_void) -> (*mut u8, usize) {
    // SAFETY: per the contract, the header sits right before `p`.
    unsafe {
        let base = (p as *mut u8).sub(HEADER);
        (base, (base as *const usize).read())
    }
}

unsafe extern "C" fn x_free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // SAFETY: SQLite frees only what it allocated through these methods.
    unsafe {
        let (base, size) = block(p);
        dealloc(base, layout(size).expect("a size that was allocated"));
    }
}

unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    if p.is_null() {
        // SAFETY: a plain allocation.
        return unsafe { x_malloc(n) };
    }
    let Some(new_layout) = usize::try_from(n).ok().and_then(layout) else {
        return std::ptr::null_mut();
    };
    // SAFETY: SQLite reallocates only what it allocated through these methods.
    unsafe {
        let (base, size) = block(p);
        let moved = realloc(
            base,
            layout(size).expect("a size that was allocated"),
            new_layout.size(),
        );
        if moved.is_null() {
            return std::ptr::null_mut();
        }
        (moved as *mut usize).write(new_layout.size() - HEADER);
        moved.add(HEADER) as *mut c_void
    }
}

unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
    if p.is_null() {
        return 0;
    }
    // SAFETY: SQLite asks only about its own live blocks.
    let (_, size) = unsafe { block(p) };
    size as c_int
}

unsafe extern "C" fn x_roundup(n: c_int) -> c_int {
    (n + 7) & !7
}

unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_shutdown(_: *mut c_void) {}

/// The methods table; its only pointer (`pAppData`) is null and never used.
struct Methods(ffi::sqlite3_mem_methods);
// SAFETY: read-only after start-up; the raw pointer inside is null.
unsafe impl Sync for Methods {}

static METHODS: Methods = Methods(ffi::sqlite3_mem_methods {
    xMalloc: Some(x_malloc),
    xFree: Some(x_free),
    xRealloc: Some(x_realloc),
    xSize: Some(x_size),
    xRoundup: Some(x_roundup),
    xInit: Some(x_init),
    xShutdown: Some(x_shutdown),
    pAppData: std::ptr::null_mut(),
});

/// Routes SQLite's allocations through Rust's global allocator and turns off
/// its memory statistics. Must run before SQLite opens its first connection
/// (`canopy`'s `main` calls it first thing); later it changes nothing and says
/// so in the log.
pub fn use_global_allocator() {
    // SAFETY: sqlite3_config is called before sqlite3_initialize (or refused
    // with SQLITE_MISUSE, changing nothing); METHODS lives for the program.
    let off: c_int = 0;
    let (malloc, memstatus) = unsafe {
        (
            ffi::sqlite3_config(
                ffi::SQLITE_CONFIG_MALLOC,
                &METHODS.0 as *const ffi::sqlite3_mem_methods,
            ),
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, off),
        )
    };
    if malloc != ffi::SQLITE_OK || memstatus != ffi::SQLITE_OK {
        log::warn!("SQLite was already in use; it keeps its own allocator");
    }
}
