// The heap through the C ABI only, from Rust: the same program as
// heap_test.c, without its finalizers: this is a client of ABI 1.0, and
// checks that the library still serves one (its 1.0-sized rt_layout and
// rt_heap_stats, filled by the exported 1.0 *_init functions). Every
// declaration below is written by hand from include/runatime.h (no crates,
// no bindgen); the inline fast paths of the header are re-implemented here
// over RtMutator, as a Rust tier would.
// Built with `rustc --edition 2021 -O` and linked against the RunaTime
// static libraries (tests/capi/CMakeLists.txt). Written for Rust 1.63
// (Debian 12's rustc) and later. Exits 0 on success.
use std::ffi::{c_void, CStr};
use std::os::raw::{c_char, c_int};
use std::process::exit;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

// ---- runatime.h, by hand -------------------------------------------------------

type RtStatus = c_int; // rt_status: an int-sized C enum; unknown values are failures
const RT_OK: RtStatus = 0;
const RT_ERROR_INVALID_ARGUMENT: RtStatus = 1;
type RtValue = u64;

const RT_ABI_VERSION_MAJOR: u32 = 1;
const RT_ABI_VERSION_MINOR: u32 = 1;
const RT_HEADER_TYPE_SHIFT: u32 = 32;
const RT_HEADER_UNLOGGED: u64 = 4;
const RT_LAYOUT_REF_ARRAY: u32 = 1;
const RT_COLLECT_MINOR: u32 = 0;
const RT_COLLECT_MAJOR: u32 = 1;

#[repr(C)]
struct RtHeap {
    _opaque: [u8; 0],
}

#[repr(C)]
struct RtRootVisitor {
    _opaque: [u8; 0],
}

#[repr(C)]
struct RtMutator {
    cursor: *mut u8,
    limit: *mut u8,
    poll: AtomicU32,
    reserved_: u32,
    handle_top: *mut RtValue,
    handle_limit: *mut RtValue,
}

#[repr(C)]
struct RtHeapOptions {
    size: usize,
    max_heap: u64,
    nursery: u64,
    tlab: u64,
    survivor_ratio: u32,
    promotion_age: u32,
    gc_threads: u32,
    stress_every: u32,
    log: u32,
    verify: u32,
    poison: u32,
    major_growth_percent: u32,
}

#[repr(C)]
struct RtLayout {
    size: usize,
    kind: u32,
    object_size: u32,
    refs: u32,
    finalizable: u32,
    name: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct RtHandle {
    slot: *mut RtValue,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct RtPersistent {
    slot: *mut RtValue,
}

#[repr(C)]
struct RtHandleScope {
    mutator: *mut RtMutator,
    top: *mut RtValue,
    limit: *mut RtValue,
}

#[repr(C)]
#[derive(Default)]
struct RtHeapStats {
    size: usize,
    minor_collections: u64,
    major_collections: u64,
    total_pause_ns: u64,
    max_pause_ns: u64,
    p50_pause_ns: u64,
    p99_pause_ns: u64,
    allocated_bytes: u64,
    promoted_bytes: u64,
    surviving_bytes: u64,
    survivor_bytes: u64,
    old_bytes: u64,
    large_bytes: u64,
    committed_bytes: u64,
}

type RtFrameEnumerator = extern "C" fn(context: *mut c_void, visitor: *mut RtRootVisitor);

extern "C" {
    fn rt_abi_version() -> u32;
    fn rt_last_error() -> *const c_char;
    fn rt_status_name(status: RtStatus) -> *const c_char;
    fn rt_heap_options_init(options: *mut RtHeapOptions) -> RtStatus;
    fn rt_heap_options_parse(text: *const c_char, inout: *mut RtHeapOptions) -> RtStatus;
    fn rt_heap_create(options: *const RtHeapOptions, out: *mut *mut RtHeap) -> RtStatus;
    fn rt_heap_destroy(heap: *mut RtHeap) -> RtStatus;
    fn rt_layout_init(layout: *mut RtLayout) -> RtStatus;
    fn rt_register_layout(heap: *mut RtHeap, layout: *const RtLayout, out: *mut u32) -> RtStatus;
    fn rt_attach(heap: *mut RtHeap, out: *mut *mut RtMutator) -> RtStatus;
    fn rt_detach(heap: *mut RtHeap, m: *mut RtMutator) -> RtStatus;
    fn rt_allocate(m: *mut RtMutator, ty: u32, out: *mut RtValue) -> RtStatus;
    fn rt_allocate_array(m: *mut RtMutator, ty: u32, length: u64, out: *mut RtValue) -> RtStatus;
    fn rt_allocate_slow(m: *mut RtMutator, ty: u32, bytes: usize, out: *mut RtValue) -> RtStatus;
    fn rt_write(m: *mut RtMutator, object: RtValue, slot: *mut RtValue, value: RtValue)
        -> RtStatus;
    fn rt_log_object(m: *mut RtMutator, object: RtValue) -> RtStatus;
    fn rt_identity_hash(m: *mut RtMutator, object: RtValue, out: *mut u32) -> RtStatus;
    fn rt_safepoint_slow(m: *mut RtMutator) -> RtStatus;
    fn rt_handle_scope_open(m: *mut RtMutator, scope: *mut RtHandleScope) -> RtStatus;
    fn rt_handle_scope_close(scope: *mut RtHandleScope) -> RtStatus;
    fn rt_handle_new(m: *mut RtMutator, value: RtValue, out: *mut RtHandle) -> RtStatus;
    fn rt_handle_get(handle: RtHandle, out: *mut RtValue) -> RtStatus;
    fn rt_handle_set(handle: RtHandle, value: RtValue) -> RtStatus;
    fn rt_persistent_new(heap: *mut RtHeap, value: RtValue, out: *mut RtPersistent) -> RtStatus;
    fn rt_persistent_get(p: RtPersistent, out: *mut RtValue) -> RtStatus;
    fn rt_persistent_free(heap: *mut RtHeap, p: RtPersistent) -> RtStatus;
    fn rt_roots_add(
        heap: *mut RtHeap,
        slots: *mut RtValue,
        count: usize,
        out: *mut u64,
    ) -> RtStatus;
    fn rt_roots_remove(heap: *mut RtHeap, id: u64) -> RtStatus;
    fn rt_root_visit(visitor: *mut RtRootVisitor, slot: *mut RtValue);
    fn rt_root_visit_range(visitor: *mut RtRootVisitor, slots: *mut RtValue, count: usize);
    fn rt_frame_enumerator_add(
        heap: *mut RtHeap,
        m: *mut RtMutator,
        f: RtFrameEnumerator,
        context: *mut c_void,
        out: *mut u64,
    ) -> RtStatus;
    fn rt_frame_enumerator_remove(heap: *mut RtHeap, m: *mut RtMutator, id: u64) -> RtStatus;
    fn rt_collect(heap: *mut RtHeap, m: *mut RtMutator, kind: u32) -> RtStatus;
    fn rt_heap_stats_init(stats: *mut RtHeapStats) -> RtStatus;
    fn rt_heap_get_stats(heap: *const RtHeap, out: *mut RtHeapStats) -> RtStatus;
    fn rt_heap_verify(heap: *mut RtHeap, m: *mut RtMutator) -> RtStatus;
}

// ---- the header's inline helpers and fast paths, in Rust ---------------------------

fn is_ref(v: RtValue) -> bool {
    v != 0 && v & 7 == 0
}
unsafe fn object_slots(o: RtValue) -> *mut RtValue {
    (o as *mut RtValue).add(1)
}
unsafe fn type_of(o: RtValue) -> u32 {
    ((*(o as *const AtomicU64)).load(Ordering::Relaxed) >> RT_HEADER_TYPE_SHIFT) as u32
}
unsafe fn array_length(o: RtValue) -> u64 {
    *object_slots(o)
}
unsafe fn array_slots(o: RtValue) -> *mut RtValue {
    object_slots(o).add(1)
}

unsafe fn fast_allocate(m: *mut RtMutator, ty: u32, bytes: usize, out: *mut RtValue) -> RtStatus {
    let p = (*m).cursor;
    if ((*m).limit as usize) - (p as usize) < bytes {
        return rt_allocate_slow(m, ty, bytes, out);
    }
    (*m).cursor = p.add(bytes);
    *(p as *mut u64) = (ty as u64) << RT_HEADER_TYPE_SHIFT;
    *out = p as RtValue;
    RT_OK
}

unsafe fn fast_write(
    m: *mut RtMutator,
    object: RtValue,
    slot: *mut RtValue,
    value: RtValue,
) -> RtStatus {
    (*(slot as *const AtomicU64)).store(value, Ordering::Relaxed);
    if (*(object as *const AtomicU64)).load(Ordering::Relaxed) & RT_HEADER_UNLOGGED != 0 {
        return rt_log_object(m, object);
    }
    RT_OK
}

unsafe fn fast_poll(m: *mut RtMutator) -> RtStatus {
    if (*m).poll.load(Ordering::Relaxed) != 0 {
        return rt_safepoint_slow(m);
    }
    RT_OK
}

unsafe fn fast_handle(m: *mut RtMutator, value: RtValue, out: *mut RtHandle) -> RtStatus {
    let s = (*m).handle_top;
    if s == (*m).handle_limit {
        return rt_handle_new(m, value, out);
    }
    (*m).handle_top = s.add(1);
    *s = value;
    (*out).slot = s;
    RT_OK
}

// ---- the test ---------------------------------------------------------------------------

// The list's length; under RUNA_GC (applied on top of the test's options,
// as for the C++ test heaps) a shorter one, since the heap may be verified
// after every collection, and the checks that depend on the test's own
// stress period are left out.
const MAX_NODES: u32 = 100_000;
const STRESS_NODES: u32 = 5_000;
const INDEX_EVERY: u32 = 1000;
const MAX_INDEX_LENGTH: u32 = MAX_NODES / INDEX_EVERY;
const NODE_BYTES: usize = 24; // header, next (reference), payload (raw)
const NEXT: usize = 0;
const PAYLOAD: usize = 1;

fn payload(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5555
}

fn check(status: RtStatus, what: &str, line: u32) {
    if status != RT_OK {
        // SAFETY: both return NUL-terminated strings that stay valid.
        let (name, message) = unsafe {
            (
                CStr::from_ptr(rt_status_name(status)),
                CStr::from_ptr(rt_last_error()),
            )
        };
        eprintln!(
            "heap_test.rs:{line}: {what}: {}: {}",
            name.to_string_lossy(),
            message.to_string_lossy()
        );
        exit(1);
    }
}

macro_rules! check {
    ($call:expr) => {
        check(unsafe { $call }, stringify!($call), line!())
    };
}

macro_rules! expect {
    ($cond:expr) => {
        if !($cond) {
            eprintln!("heap_test.rs:{}: expected {}", line!(), stringify!($cond));
            exit(1);
        }
    };
}

// A tier's "frame": four reference slots the collector must see.
#[repr(C)]
struct Frame {
    slots: [RtValue; 4],
    visits: u32,
}

extern "C" fn enumerate_frame(context: *mut c_void, visitor: *mut RtRootVisitor) {
    let f = context as *mut Frame;
    // SAFETY: `context` is the Frame registered below, alive until removed;
    // the owning thread is stopped while the collector calls this.
    unsafe {
        (*f).visits += 1;
        rt_root_visit_range(visitor, (*f).slots.as_mut_ptr(), 3);
        rt_root_visit(visitor, &mut (*f).slots[3]);
    }
}

fn main() {
    let version = unsafe { rt_abi_version() };
    expect!(version >> 16 == RT_ABI_VERSION_MAJOR && (version & 0xFFFF) >= RT_ABI_VERSION_MINOR);

    let mut options = std::mem::MaybeUninit::<RtHeapOptions>::uninit();
    check!(rt_heap_options_init(options.as_mut_ptr()));
    let mut options = unsafe { options.assume_init() };
    expect!(options.size == std::mem::size_of::<RtHeapOptions>());
    check!(rt_heap_options_parse(
        b"nursery=1m tlab=4k max_heap=256m promotion_age=2 stress_every=257 poison \
          major_growth_percent=50\0"
            .as_ptr() as *const c_char,
        &mut options
    ));
    expect!(options.nursery == 1 << 20 && options.tlab == 4096 && options.max_heap == 256 << 20);
    expect!(options.promotion_age == 2 && options.stress_every == 257 && options.poison == 1);
    expect!(options.major_growth_percent == 50 && options.gc_threads == 2 && options.log == 0);
    // A typo is an error that names the option, and changes nothing.
    expect!(
        unsafe { rt_heap_options_parse(b"nursry=2m\0".as_ptr() as *const c_char, &mut options) }
            == RT_ERROR_INVALID_ARGUMENT
    );
    expect!(unsafe { CStr::from_ptr(rt_last_error()) }
        .to_string_lossy()
        .contains("did you mean 'nursery'?"));
    expect!(options.nursery == 1 << 20);
    let gc_env = std::env::var("RUNA_GC").ok().filter(|v| !v.is_empty());
    let nodes = if let Some(text) = &gc_env {
        let text = std::ffi::CString::new(text.as_str()).expect("RUNA_GC has no NUL");
        check!(rt_heap_options_parse(text.as_ptr(), &mut options));
        STRESS_NODES
    } else {
        MAX_NODES
    };
    let index_length = nodes / INDEX_EVERY;
    let mut heap: *mut RtHeap = std::ptr::null_mut();
    check!(rt_heap_create(&options, &mut heap));

    let mut layout = std::mem::MaybeUninit::<RtLayout>::uninit();
    check!(rt_layout_init(layout.as_mut_ptr()));
    let mut layout = unsafe { layout.assume_init() };
    layout.object_size = NODE_BYTES as u32;
    layout.refs = 1;
    layout.name = b"node\0".as_ptr() as *const c_char;
    let mut node_type = 0u32;
    check!(rt_register_layout(heap, &layout, &mut node_type));
    layout.kind = RT_LAYOUT_REF_ARRAY;
    layout.object_size = 8;
    layout.refs = 0;
    layout.name = b"index\0".as_ptr() as *const c_char;
    let mut index_type = 0u32;
    check!(rt_register_layout(heap, &layout, &mut index_type));

    let mut m: *mut RtMutator = std::ptr::null_mut();
    check!(rt_attach(heap, &mut m));
    let mut v: RtValue = 0;
    expect!(unsafe { rt_allocate(m, 12345, &mut v) } == RT_ERROR_INVALID_ARGUMENT);
    expect!(!unsafe { CStr::from_ptr(rt_last_error()) }
        .to_bytes()
        .is_empty());

    // Memory the collector updates behind Rust's back: reached only through raw pointers.
    let globals: *mut [RtValue; 2] = Box::into_raw(Box::new([0; 2]));
    let frame: *mut Frame = Box::into_raw(Box::new(Frame {
        slots: [0; 4],
        visits: 0,
    }));

    let mut outer = RtHandleScope {
        mutator: std::ptr::null_mut(),
        top: std::ptr::null_mut(),
        limit: std::ptr::null_mut(),
    };
    check!(rt_handle_scope_open(m, &mut outer));
    let mut head = RtHandle {
        slot: std::ptr::null_mut(),
    };
    check!(rt_handle_new(m, 0, &mut head));
    check!(rt_allocate_array(
        m,
        index_type,
        index_length as u64,
        &mut v
    ));
    expect!(unsafe { array_length(v) } == index_length as u64);
    let mut index = RtPersistent {
        slot: std::ptr::null_mut(),
    };
    check!(rt_persistent_new(heap, v, &mut index));
    let mut roots_id = 0u64;
    check!(rt_roots_add(
        heap,
        globals as *mut RtValue,
        2,
        &mut roots_id
    ));
    // The identity hash of every indexed node, taken when it was new.
    let mut index_hashes = [0u32; MAX_INDEX_LENGTH as usize];
    let mut frame_id = 0u64;
    check!(rt_frame_enumerator_add(
        heap,
        m,
        enumerate_frame,
        frame as *mut c_void,
        &mut frame_id
    ));

    for i in 0..nodes {
        let mut scope = RtHandleScope {
            mutator: std::ptr::null_mut(),
            top: std::ptr::null_mut(),
            limit: std::ptr::null_mut(),
        };
        check!(rt_handle_scope_open(m, &mut scope));
        let mut n: RtValue = 0;
        if i % 2 == 0 {
            check!(rt_allocate(m, node_type, &mut n));
        } else {
            check!(fast_allocate(m, node_type, NODE_BYTES, &mut n));
        }
        unsafe { *object_slots(n).add(PAYLOAD) = payload(i as u64) };
        let mut node = RtHandle {
            slot: std::ptr::null_mut(),
        };
        check!(fast_handle(m, n, &mut node));
        let mut h: RtValue = 0;
        check!(rt_handle_get(head, &mut h));
        if i % 3 == 0 {
            check!(rt_write(m, n, object_slots(n).add(NEXT), h));
        } else {
            check!(fast_write(m, n, object_slots(n).add(NEXT), h));
        }
        check!(rt_handle_set(head, n));
        if i % INDEX_EVERY == 0 {
            let mut ix: RtValue = 0;
            check!(rt_persistent_get(index, &mut ix));
            check!(rt_write(
                m,
                ix,
                array_slots(ix).add((i / INDEX_EVERY) as usize),
                n
            ));
            let hash = &mut index_hashes[(i / INDEX_EVERY) as usize];
            check!(rt_identity_hash(m, n, hash));
            expect!(*hash != 0);
        }
        unsafe {
            (*frame).slots[(i % 4) as usize] = n;
            if i == 0 {
                (*globals)[0] = n;
            }
            if i == nodes / 2 {
                (*globals)[1] = n;
            }
        }
        check!(rt_handle_scope_close(&mut scope));
        check!(fast_poll(m));
        if i % 25000 == 24999 {
            check!(rt_collect(heap, m, RT_COLLECT_MAJOR));
        }
        if i % 10000 == 9999 {
            check!(rt_heap_verify(heap, m));
        }
    }
    check!(rt_collect(heap, m, RT_COLLECT_MINOR));
    check!(rt_heap_verify(heap, m));

    // Walk the list: newest first, every payload in place.
    let mut cur: RtValue = 0;
    check!(rt_handle_get(head, &mut cur));
    for i in (0..nodes).rev() {
        expect!(is_ref(cur));
        expect!(unsafe { type_of(cur) } == node_type);
        let got = unsafe { *object_slots(cur).add(PAYLOAD) };
        if got != payload(i as u64) {
            eprintln!(
                "node {i}: payload {got:#x}, expected {:#x}",
                payload(i as u64)
            );
            exit(1);
        }
        cur = unsafe { *object_slots(cur).add(NEXT) };
    }
    expect!(cur == 0);

    check!(rt_persistent_get(index, &mut v));
    for i in 0..index_length {
        let n = unsafe { *array_slots(v).add(i as usize) };
        expect!(
            is_ref(n)
                && unsafe { *object_slots(n).add(PAYLOAD) } == payload((i * INDEX_EVERY) as u64)
        );
        let mut hash = 0u32;
        check!(rt_identity_hash(m, n, &mut hash));
        expect!(hash == index_hashes[i as usize]);
    }
    unsafe {
        expect!(*object_slots((*globals)[0]).add(PAYLOAD) == payload(0));
        expect!(*object_slots((*globals)[1]).add(PAYLOAD) == payload((nodes / 2) as u64));
        for i in nodes - 4..nodes {
            expect!(
                *object_slots((*frame).slots[(i % 4) as usize]).add(PAYLOAD) == payload(i as u64)
            );
        }
        expect!((*frame).visits > 0);
    }

    let mut stats = RtHeapStats::default();
    check!(rt_heap_stats_init(&mut stats));
    check!(rt_heap_get_stats(heap, &mut stats));
    println!(
        "collections: {} minor, {} major; allocated {} bytes, promoted {}; pause max {} ns",
        stats.minor_collections,
        stats.major_collections,
        stats.allocated_bytes,
        stats.promoted_bytes,
        stats.max_pause_ns
    );
    expect!(stats.minor_collections + stats.major_collections >= (nodes / 257) as u64);
    if gc_env.is_none() {
        expect!(stats.major_collections >= 4);
    }
    expect!(stats.allocated_bytes >= nodes as u64 * NODE_BYTES as u64);
    expect!(stats.promoted_bytes > 0);

    check!(rt_frame_enumerator_remove(heap, m, frame_id));
    check!(rt_roots_remove(heap, roots_id));
    check!(rt_persistent_free(heap, index));
    check!(rt_handle_scope_close(&mut outer));
    check!(rt_collect(heap, m, RT_COLLECT_MAJOR));
    check!(rt_heap_get_stats(heap, &mut stats));
    expect!(stats.old_bytes < nodes as u64 * NODE_BYTES as u64 / 2);
    check!(rt_detach(heap, m));
    check!(rt_heap_destroy(heap));
    // SAFETY: no longer registered with the heap, which is gone.
    unsafe {
        drop(Box::from_raw(globals));
        drop(Box::from_raw(frame));
    }
    println!("heap_test (Rust): OK");
}
