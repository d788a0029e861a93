/* runatime/c/heap.h — the garbage-collected heap through the C ABI
 * (docs/memory.md). Included by runatime.h (include that one); the rules of
 * runatime/c/base.h (versions, sized structs, errors) apply to every call.
 *
 * ---- The heap's rules (docs/memory.md) -------------------------------------
 *
 *   - Precise and moving. An object reference (an rt_value with the low
 *     three bits zero, not 0) held across anything that MAY COLLECT is
 *     stale afterwards unless it is kept in a handle, a persistent handle, a
 *     registered root set or a slot a frame enumerator reports: re-read it
 *     from there. Each function says whether it may collect.
 *   - Every store of a value into a reference slot of an object goes through
 *     rt_write (or rt_fast_write, rt_copy_elements, rt_fill_elements). Raw
 *     data after the reference slots may be written directly. One
 *     exception, the same for objects of every size: a thread may fill an
 *     object it allocated with plain stores until its next call that MAY
 *     COLLECT (objects allocated old are born remembered).
 *   - Threads. A thread that touches the heap is attached (rt_attach); its
 *     rt_mutator is used only by that thread. Around anything that blocks it
 *     enters native (rt_enter_native); in native it touches no object.
 *     Running threads poll (rt_poll) at loop back-edges and calls, so that a
 *     collection requested elsewhere does not wait for them.
 */
#ifndef RUNATIME_C_HEAP_H
#define RUNATIME_C_HEAP_H

#include "runatime/c/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/* Values and objects                                                       */
/* ======================================================================== */

/* A value word: 0 (empty), a heap reference (low three bits 0) or an
 * immediate (low bits not 0; the types layer defines the encoding). */
typedef uint64_t rt_value;

/* The object header word (docs/memory.md, "Objects"): the type index is in
 * the high 32 bits; RT_HEADER_UNLOGGED is the write barrier's bit. */
#define RT_HEADER_TYPE_SHIFT 32
#define RT_HEADER_UNLOGGED UINT64_C(4)
/* Objects of at least this many bytes go to the large-object space (they
 * never move) when allocated through any out-of-line path. */
#define RT_LARGE_OBJECT_BYTES 8192u

static inline int rt_is_ref(rt_value v) {
  return v != 0 && (v & 7u) == 0;
}
/* The type index in o's header (o a reference). */
static inline uint32_t rt_type_of(rt_value o) {
  return RT_STATIC_CAST(uint32_t,
                        RT_LOAD_RELAXED(RT_PTR_CAST(uint64_t*, o)) >> RT_HEADER_TYPE_SHIFT);
}
/* The words after the header: reference slots first, then raw data. */
static inline rt_value* rt_object_slots(rt_value o) {
  return RT_PTR_CAST(rt_value*, o) + 1;
}
/* Arrays: the length word follows the header, the elements follow it. */
static inline uint64_t rt_array_length(rt_value o) {
  return rt_object_slots(o)[0];
}
static inline rt_value* rt_array_slots(rt_value o) {
  return rt_object_slots(o) + 1;
}
static inline uint8_t* rt_array_data(rt_value o) {
  return RT_PTR_CAST(uint8_t*, rt_object_slots(o) + 1);
}
/* Bytes of an array of `length` elements, header and length word included. */
static inline size_t rt_ref_array_bytes(size_t length) {
  return 16 + 8 * length;
}
static inline size_t rt_byte_array_bytes(size_t length) {
  return 16 + ((length + 7) & ~RT_STATIC_CAST(size_t, 7));
}
/* Tailed objects (since 1.3) of a layout whose fixed part is `size` bytes:
 * the length word is rt_array_length, the fields follow it. */
static inline size_t rt_ref_tail_bytes(size_t size, size_t length) {
  return size + 8 * length;
}
static inline size_t rt_byte_tail_bytes(size_t size, size_t length) {
  return size + ((length + 7) & ~RT_STATIC_CAST(size_t, 7));
}

/* ======================================================================== */
/* Heaps                                                                    */
/* ======================================================================== */

typedef struct rt_heap rt_heap; /* opaque */

/* Heap options (runa::heap::Options). Set them with rt_heap_options_init,
 * then change fields. Booleans are 0 or non-zero. */
typedef struct rt_heap_options {
  size_t size;             /* sizeof(rt_heap_options) of the caller */
  uint64_t max_heap;       /* bytes: the whole heap, nursery included (1 GiB) */
  uint64_t nursery;        /* bytes: eden + both survivor halves, out of max_heap; 0: adaptive,
                            * up to max_heap / 3 (0) */
  uint64_t tlab;           /* bytes per thread allocation buffer; 0: adaptive (0) */
  uint32_t survivor_ratio; /* eden is this many survivor halves (8) */
  uint32_t promotion_age;  /* minor collections survived before promotion, 1-15 (3) */
  uint32_t gc_threads;     /* collector threads, 1-256, the one stopping the world included (2) */
  uint32_t stress_every;   /* test mode: collect every N allocations; 0: off (0) */
  uint32_t log;            /* one "[gc] ..." line per collection on stderr (0) */
  uint32_t verify;         /* verify the heap after each collection; abort if broken (0) */
  uint32_t poison;         /* test mode: overwrite evacuated memory (0) */
  /* A collection is a major one when the old generation's committed blocks
   * have grown by this percentage since the last major collection (at least
   * max_heap / 16); 0: only on request or when the old generation is out of
   * room; at most 10000 (100). */
  uint32_t major_growth_percent;
} rt_heap_options;

/* Fills *options with the defaults (and size). Errors: options NULL. */
RT_API rt_status rt_heap_options_init(rt_heap_options* options) RT_NOEXCEPT;

/* Since ABI 1.1. Applies the options named in `text` to *inout, which holds
 * the starting values (rt_heap_options_init's, or the caller's). `text` is
 * the form of the environment variable RUNA_GC: items separated by commas
 * or spaces, e.g. "max_heap=2g,nursery=64m,promotion_age=3,log". Sizes
 * (max_heap, nursery, tlab) take k, m or g suffixes (KiB, MiB, GiB); counts
 * are decimal; log, verify and poison are switches, on when named alone or
 * =1/0, true/false, on/off; '-' may replace '_' in names
 * (include/runatime/heap_options.hpp is the full grammar). All or nothing:
 * *inout is written only on RT_OK, and only fields the text names change
 * (booleans come back as 0 or 1). Ranges are rt_heap_create's to check.
 * Any thread. Errors: INVALID_ARGUMENT (NULL, inout->size too small, a bad
 * item: the message names the option and quotes the value, and suggests
 * the nearest name for an unknown one), UNSUPPORTED (inout sets fields this
 * version does not know). */
RT_API rt_status rt_heap_options_parse(const char* text, rt_heap_options* inout) RT_NOEXCEPT;

/* Creates a heap: checks the options (the message names the wrong one) and
 * reserves its address space. `options` NULL means the defaults.
 * Errors: INVALID_ARGUMENT (out NULL, a bad option, size too small),
 * UNSUPPORTED (non-zero fields this version does not know), OUT_OF_MEMORY
 * (the reservation failed). Any thread. */
RT_API rt_status rt_heap_create(const rt_heap_options* options, rt_heap** out) RT_NOEXCEPT;

/* Destroys a heap and every object in it; persistent handles, root sets and
 * layouts go with it. The finalizer thread is stopped after the finalizer
 * it runs, if any, returns; pending finalizers are not run. Errors:
 * INVALID_ARGUMENT (heap NULL), INVALID_STATE (a mutator is still attached,
 * or called from a finalizer; nothing is destroyed). Any thread, once no
 * other thread uses the heap. */
RT_API rt_status rt_heap_destroy(rt_heap* heap) RT_NOEXCEPT;

/* The options the heap was created with (defaults filled in), written as
 * described under "Versioning". Errors: NULL arguments, size too small. */
RT_API rt_status rt_heap_get_options(const rt_heap* heap, rt_heap_options* out) RT_NOEXCEPT;

/* ======================================================================== */
/* Layouts                                                                  */
/* ======================================================================== */

/* What the collector knows about a type (runa::heap::LayoutKind). */
typedef enum rt_layout_kind {
  RT_LAYOUT_PLAIN = 0,      /* object_size bytes; `refs` reference slots after the header */
  RT_LAYOUT_REF_ARRAY = 1,  /* header, length word, `length` reference slots */
  RT_LAYOUT_BYTE_ARRAY = 2, /* header, length word, `length` bytes */
  RT_LAYOUT_WEAK_REF = 3,   /* plain; slot 0 is a weak referent (cleared when it dies) */
  RT_LAYOUT_EPHEMERON = 4,  /* plain; slots 0 and 1 are a key and the value it keeps alive */
  /* Since 1.3: fixed fields plus a variable tail (runa::heap::LayoutKind).
   * Header, length word (the tail's element count, set by the allocation
   * call), `refs` reference fields, raw words up to object_size, then the
   * tail of `length` elements. Allocated as arrays (rt_allocate_array and
   * the calls taking a length). */
  RT_LAYOUT_REF_TAIL = 5, /* tail of reference slots; object_size must be 16 + 8 * refs */
  RT_LAYOUT_BYTE_TAIL = 6 /* tail of bytes */
} rt_layout_kind;

/* A finalizer (docs/memory.md, "Finalizers"), called once for each object
 * of a finalizable type after a collection found it unreachable, on the
 * heap's finalizer thread: `m` is that thread's mutator, running, and
 * `object` a handle holding the object. It may do anything a mutator may
 * (allocate, call rt_* functions with `m`, store the object somewhere, which
 * resurrects it: it is never finalized again), except rt_detach and
 * rt_wait_for_finalizers with `m`, and rt_heap_destroy. Weak references to
 * the object were cleared first; what it references is intact, though
 * objects that died with it may have been finalized already (there is no
 * order). It must not unwind (no C++ exception, no Rust panic). */
struct rt_mutator; /* both defined below */
struct rt_handle;
typedef void (*rt_finalizer)(void* context, rt_heap* heap, struct rt_mutator* m,
                             struct rt_handle object);

typedef struct rt_layout {
  size_t size;          /* sizeof(rt_layout) of the caller */
  uint32_t kind;        /* an rt_layout_kind */
  uint32_t object_size; /* bytes with the header (8-multiple); tails: the fixed part */
  uint32_t refs;        /* reference slots (fields) of the fixed part; arrays: ignored */
  uint32_t finalizable; /* non-zero: objects are finalized (rt_allocate_finalizable) */
  const char* name;     /* for logs and verification; copied; NULL means "" */
  /* Since 1.1. */
  rt_finalizer finalizer;  /* required when finalizable, NULL otherwise */
  void* finalizer_context; /* passed to finalizer */
  /* Since 1.3. */
  const void* descriptor;      /* the types part's descriptor, opaque (rt_descriptor_of) */
  const uint32_t* weak_fields; /* weak_count indices among `refs`, increasing; copied */
  uint32_t weak_count;         /* weak fields: cleared when their referent dies */
  uint32_t reserved_;          /* padding: 0 */
} rt_layout;

/* Fills the caller's struct (`size` bytes) with a plain 8-byte layout
 * without slots or finalizer, and sets layout->size. Since 1.1; use
 * rt_layout_init. Errors: INVALID_ARGUMENT (NULL, size below the 1.0 size). */
RT_API rt_status rt_layout_init_sized(rt_layout* layout, size_t size) RT_NOEXCEPT;
/* As ABI 1.0 declared it: fills the 1.0 fields only and sets the 1.0 size. */
RT_API rt_status rt_layout_init(rt_layout* layout) RT_NOEXCEPT;
#define rt_layout_init(layout) rt_layout_init_sized((layout), sizeof *(layout))

/* Registers a layout; *out_type receives its type index (>= 1; 0 is never
 * a type). Layouts live as long as the heap. Any thread, even unattached.
 * The first finalizable layout starts the heap's finalizer thread.
 * Errors: INVALID_ARGUMENT (NULL, an inconsistent layout: the message says
 * what, e.g. finalizable without a finalizer or a finalizer without
 * finalizable), UNSUPPORTED (unknown non-zero fields), INTERNAL (the
 * finalizer thread could not be started). */
RT_API rt_status rt_register_layout(rt_heap* heap, const rt_layout* layout,
                                    uint32_t* out_type) RT_NOEXCEPT;

/* The layout of a registered type (its name is valid while the heap lives).
 * Errors: INVALID_ARGUMENT (NULL, a type never registered). Any thread. */
RT_API rt_status rt_get_layout(const rt_heap* heap, uint32_t type, rt_layout* out) RT_NOEXCEPT;

/* The descriptor o's layout was registered with (rt_layout.descriptor);
 * O(1). Since 1.3. Errors: INVALID_ARGUMENT (NULL, o not a reference into
 * this heap, or its header names no registered type). Any thread holding
 * o (running). */
RT_API rt_status rt_descriptor_of(const rt_heap* heap, rt_value o, const void** out) RT_NOEXCEPT;

/* The size in bytes of object o (header and length word included).
 * Errors: INVALID_ARGUMENT (NULL, o not a reference into this heap, or its
 * header names no registered type). Running mutator thread (o may move). */
RT_API rt_status rt_object_size(const rt_heap* heap, rt_value o, size_t* out) RT_NOEXCEPT;

/* ======================================================================== */
/* Mutators: threads attached to a heap                                      */
/* ======================================================================== */

/* The first fields of a thread's mutator, in the order and layout of
 * runa::heap::Mutator (RunaTime checks this at compile time), exposed so
 * that the fast paths below can be inlined by C, Rust or generated code.
 * Only pointers returned by rt_attach are mutators: never create, copy or
 * free one. Changing these fields is a major ABI change.
 * `poll` is written by other threads: read it with a relaxed atomic load. */
typedef struct rt_mutator {
  uint8_t* cursor;        /* allocation buffer: next free byte (zeroed memory) */
  uint8_t* limit;         /* allocation buffer: end */
  uint32_t poll;          /* non-zero: a safepoint is requested */
  uint32_t reserved_;     /* padding: not to be touched */
  rt_value* handle_top;   /* next free handle slot in the current chunk */
  rt_value* handle_limit; /* end of the current chunk */
} rt_mutator;

/* Attaches the calling thread to the heap; *out is its mutator, valid until
 * rt_detach. Waits while a collection runs (does not collect). A thread has
 * at most one mutator per heap. Errors: INVALID_ARGUMENT (NULL),
 * INVALID_STATE (this thread is already attached to this heap). */
RT_API rt_status rt_attach(rt_heap* heap, rt_mutator** out) RT_NOEXCEPT;

/* Detaches the calling thread: its handles (open scopes included) die, its
 * frame enumerators are removed, and `m` becomes invalid. Waits while a
 * collection runs. Called by the thread that attached `m`, outside native.
 * Errors: INVALID_ARGUMENT (NULL, `m` not this thread's mutator of this
 * heap), INVALID_STATE (in native, or `m` is the finalizer thread's). */
RT_API rt_status rt_detach(rt_heap* heap, rt_mutator* m) RT_NOEXCEPT;

/* Safepoint poll: parks the thread if a collection is requested, until it
 * ends. MAY COLLECT (another thread's collection moves objects): re-read
 * raw references afterwards. Own thread, running.
 * Errors: INVALID_ARGUMENT (NULL, not this thread's mutator), INVALID_STATE
 * (in native). */
RT_API rt_status rt_poll(rt_mutator* m) RT_NOEXCEPT;

/* The slow half of rt_fast_poll, for inline code that has seen m->poll set:
 * parks until the collection ends. Same rules and errors as rt_poll. */
RT_API rt_status rt_safepoint_slow(rt_mutator* m) RT_NOEXCEPT;

/* Native regions, around anything that blocks or runs long without
 * polling: inside, the thread touches no object and holds no raw reference
 * (handles stay valid), and collections proceed without it. rt_leave_native
 * waits while a collection is in progress, so raw references must be
 * re-read after it (it counts as MAY COLLECT). Own thread.
 * Errors: INVALID_ARGUMENT (NULL, not this thread's mutator), INVALID_STATE
 * (entering twice, leaving without entering). */
RT_API rt_status rt_enter_native(rt_mutator* m) RT_NOEXCEPT;
RT_API rt_status rt_leave_native(rt_mutator* m) RT_NOEXCEPT;

/* ======================================================================== */
/* Allocation                                                               */
/* ======================================================================== */

/* Every allocation function: own thread, running (not in native). Each MAY
 * COLLECT: raw references held before the call are stale after it, except
 * the result. New objects have every slot and byte zero. On
 * RT_ERROR_OUT_OF_MEMORY nothing was allocated and the heap is consistent.
 * Common errors: INVALID_ARGUMENT (NULL, not this thread's mutator, unknown
 * type, a type of the wrong kind, a finalizable type outside
 * rt_allocate_finalizable), INVALID_STATE (in native). */

/* A fixed-size object (plain, weak ref, ephemeron) of `type`; its size is
 * the layout's. Large ones (>= RT_LARGE_OBJECT_BYTES) never move. */
RT_API rt_status rt_allocate(rt_mutator* m, uint32_t type, rt_value* out) RT_NOEXCEPT;

/* An array (ref array or byte array) of `length` elements with its length
 * word set; >= RT_LARGE_OBJECT_BYTES goes to the large-object space. */
RT_API rt_status rt_allocate_array(rt_mutator* m, uint32_t type, uint64_t length,
                                   rt_value* out) RT_NOEXCEPT;

/* Any object directly in the large-object space, whatever its size: it is
 * born old and never moves (its address may be given to foreign code while
 * a handle keeps it alive). `length` is the element count for arrays and
 * must be 0 for fixed-size types. */
RT_API rt_status rt_allocate_large(rt_mutator* m, uint32_t type, uint64_t length,
                                   rt_value* out) RT_NOEXCEPT;

/* Since 1.1. An object that never moves, for memory whose address foreign
 * code keeps: born old, in the old generation's blocks (large ones in the
 * large-object space), freed by a major collection once unreachable.
 * `length` as for rt_allocate_large. */
RT_API rt_status rt_allocate_pinned(rt_mutator* m, uint32_t type, uint64_t length,
                                    rt_value* out) RT_NOEXCEPT;

/* The slow half of rt_fast_allocate: an object of `bytes` (a multiple of 8,
 * header included: the layout's size for fixed-size types, at least 16 for
 * arrays, whose length word the caller sets at once). */
RT_API rt_status rt_allocate_slow(rt_mutator* m, uint32_t type, size_t bytes,
                                  rt_value* out) RT_NOEXCEPT;

/* An object of a finalizable type (since 1.1), registered so that its
 * finalizer runs once after it becomes unreachable; placed as rt_allocate
 * and rt_allocate_array place objects (by size). `length` is the element
 * count for arrays and must be 0 for fixed-size types. rt_allocate,
 * rt_allocate_array and rt_allocate_large refuse finalizable types
 * (INVALID_ARGUMENT); the fast paths and rt_allocate_slow cannot tell, and
 * an object of a finalizable type they allocate is never finalized. Errors
 * as above, and INVALID_ARGUMENT for a type that is not finalizable. */
RT_API rt_status rt_allocate_finalizable(rt_mutator* m, uint32_t type, uint64_t length,
                                         rt_value* out) RT_NOEXCEPT;

/* ======================================================================== */
/* Write barrier                                                            */
/* ======================================================================== */

/* Stores `value` into `slot`, a reference slot of `object` (for arrays: an
 * element of a ref array), and remembers the object if it is old. Never
 * collects. Own thread, running. Errors: INVALID_ARGUMENT (NULL, object not
 * a reference into this mutator's heap, slot not one of its reference
 * slots), INVALID_STATE (in native). */
RT_API rt_status rt_write(rt_mutator* m, rt_value object, rt_value* slot,
                          rt_value value) RT_NOEXCEPT;

/* The slow half of rt_fast_write as ABI 1.0 and 1.1 called it, for inline
 * code that has seen RT_HEADER_UNLOGGED in the header after its store: logs
 * the object (a large ref array: all its cards). Never collects. Errors as
 * rt_write's but for the slot. */
RT_API rt_status rt_log_object(rt_mutator* m, rt_value object) RT_NOEXCEPT;

/* Since 1.2. The slow half of rt_fast_write: as rt_log_object after a store
 * into `slot`, a reference slot of `object`; a large ref array remembers
 * only the card (64 elements) of `slot`, and only if it now holds a young
 * reference. Never collects. Errors as rt_write's. */
RT_API rt_status rt_log_store(rt_mutator* m, rt_value object, rt_value* slot) RT_NOEXCEPT;

/* Since 1.2. Copies elements [src_index, src_index + count) of ref array
 * `src` to [dst_index, dst_index + count) of ref array `dst`, as memmove
 * does (the same array, ranges overlapping, is allowed), with the barrier
 * applied once for the range. Never collects. Own thread, running. Errors:
 * INVALID_ARGUMENT (as rt_write's for either object, not a ref array, a
 * range out of bounds: nothing is copied), INVALID_STATE (in native). */
RT_API rt_status rt_copy_elements(rt_mutator* m, rt_value dst, uint64_t dst_index, rt_value src,
                                  uint64_t src_index, uint64_t count) RT_NOEXCEPT;

/* Since 1.2. Stores `value` into elements [index, index + count) of ref
 * array `array`, with the barrier applied once for the range. Never
 * collects. Errors as rt_copy_elements'. */
RT_API rt_status rt_fill_elements(rt_mutator* m, rt_value array, uint64_t index, uint64_t count,
                                  rt_value value) RT_NOEXCEPT;

/* ======================================================================== */
/* Identity hashes                                                          */
/* ======================================================================== */

/* Since ABI 1.1. The identity hash of `object` in *out: a non-zero value
 * of 20 bits, drawn on the first request and kept in the object's header,
 * so the same for the object's whole life although it moves (it is never
 * derived from the address). Other objects may share it. Never collects.
 * Own thread, running. Errors: INVALID_ARGUMENT (NULL, not this thread's
 * mutator, object not a reference into this mutator's heap or its header
 * naming no registered type), INVALID_STATE (in native). */
RT_API rt_status rt_identity_hash(rt_mutator* m, rt_value object, uint32_t* out) RT_NOEXCEPT;

/* ======================================================================== */
/* Handles                                                                  */
/* ======================================================================== */

/* A slot the collector knows and updates when its object moves. Scoped
 * handles live until their scope closes (or the thread detaches, for those
 * created outside every scope); persistent handles until freed. Handles are
 * plain values: copies name the same slot. */
typedef struct rt_handle {
  rt_value* slot;
} rt_handle;

typedef struct rt_persistent {
  rt_value* slot;
} rt_persistent;

/* A handle scope, kept by the caller (usually on its stack). Scopes nest
 * like blocks: close the innermost first. */
typedef struct rt_handle_scope {
  rt_mutator* mutator; /* NULL once closed */
  rt_value* top;
  rt_value* limit;
} rt_handle_scope;

/* Opens a scope: handles created after it die when it closes. Never
 * collects. Own thread, running (the collector reads handle slots while a
 * thread is in native). Errors: INVALID_ARGUMENT (NULL, not this thread's
 * mutator), INVALID_STATE (in native). */
RT_API rt_status rt_handle_scope_open(rt_mutator* m, rt_handle_scope* scope) RT_NOEXCEPT;

/* Closes a scope. Never collects. Own thread, running. Errors:
 * INVALID_ARGUMENT (NULL, already closed, not this thread's scope),
 * INVALID_STATE (in native, or an outer scope was closed before this inner
 * one: scopes close innermost first; nothing changes). */
RT_API rt_status rt_handle_scope_close(rt_handle_scope* scope) RT_NOEXCEPT;

/* A new handle holding `value` in the current scope. Never collects. Own
 * thread, running. Errors: INVALID_ARGUMENT (NULL, not this thread's
 * mutator), INVALID_STATE (in native), OUT_OF_MEMORY (no memory for a new
 * chunk of handle slots). */
RT_API rt_status rt_handle_new(rt_mutator* m, rt_value value, rt_handle* out) RT_NOEXCEPT;

/* Read and write a handle's slot (the reads return the current address of
 * a moved object). Never collect. A thread of the heap, running. Errors:
 * INVALID_ARGUMENT (NULL). */
RT_API rt_status rt_handle_get(rt_handle handle, rt_value* out) RT_NOEXCEPT;
RT_API rt_status rt_handle_set(rt_handle handle, rt_value value) RT_NOEXCEPT;

/* A persistent handle holding `value`, a root until rt_persistent_free.
 * Never collects. Any thread (get/set: an attached thread, running).
 * Errors: INVALID_ARGUMENT (NULL), OUT_OF_MEMORY. */
RT_API rt_status rt_persistent_new(rt_heap* heap, rt_value value, rt_persistent* out) RT_NOEXCEPT;
RT_API rt_status rt_persistent_get(rt_persistent p, rt_value* out) RT_NOEXCEPT;
RT_API rt_status rt_persistent_set(rt_persistent p, rt_value value) RT_NOEXCEPT;
/* Errors: INVALID_ARGUMENT (NULL, not a live persistent handle of this heap,
 * e.g. freed twice). */
RT_API rt_status rt_persistent_free(rt_heap* heap, rt_persistent p) RT_NOEXCEPT;

/* ======================================================================== */
/* Roots: root sets and frame enumerators                                   */
/* ======================================================================== */

/* Registers `count` slots at `slots` as roots (module constants, globals):
 * the collector reads and updates them until rt_roots_remove. The memory is
 * the caller's and must stay valid meanwhile. Never collects. Any thread.
 * Errors: INVALID_ARGUMENT (NULL with count > 0, out_id NULL),
 * OUT_OF_MEMORY. */
RT_API rt_status rt_roots_add(rt_heap* heap, rt_value* slots, size_t count,
                              uint64_t* out_id) RT_NOEXCEPT;
/* Errors: INVALID_ARGUMENT (NULL, an id not registered or already removed). */
RT_API rt_status rt_roots_remove(rt_heap* heap, uint64_t id) RT_NOEXCEPT;

/* What a frame enumerator reports its slots to (opaque). */
typedef struct rt_root_visitor rt_root_visitor;

/* A tier's callback: calls rt_root_visit for every reference slot of its
 * frames on the thread it was registered for (slots holding 0 or an
 * immediate may be visited; they are skipped). It runs during collections,
 * on the collecting thread while the registering thread is stopped; it must
 * not allocate, collect, call other functions of this header than
 * rt_root_visit*, or unwind (no C++ exception, no Rust panic). */
typedef void (*rt_frame_enumerator)(void* context, rt_root_visitor* visitor);

/* Visits one slot / `count` consecutive slots: the collector may update
 * them. Only inside a frame enumerator, with the visitor it was given. */
RT_API void rt_root_visit(rt_root_visitor* visitor, rt_value* slot) RT_NOEXCEPT;
RT_API void rt_root_visit_range(rt_root_visitor* visitor, rt_value* slots,
                                size_t count) RT_NOEXCEPT;

/* Registers `fn(context, ...)` to be called in every collection until
 * removed (or the thread detaches). Own thread, running; never collects.
 * *out_id is unique among the heap's enumerators for the heap's whole life.
 * Errors: INVALID_ARGUMENT (NULL, not this thread's mutator of this heap),
 * INVALID_STATE (in native), OUT_OF_MEMORY. */
RT_API rt_status rt_frame_enumerator_add(rt_heap* heap, rt_mutator* m, rt_frame_enumerator fn,
                                         void* context, uint64_t* out_id) RT_NOEXCEPT;
/* Errors: INVALID_ARGUMENT (NULL, not this thread's mutator, an id this
 * mutator did not register or already removed), INVALID_STATE (in native). */
RT_API rt_status rt_frame_enumerator_remove(rt_heap* heap, rt_mutator* m, uint64_t id) RT_NOEXCEPT;

/* ======================================================================== */
/* Collections, statistics, verification                                    */
/* ======================================================================== */

typedef enum rt_collection_kind {
  RT_COLLECT_MINOR = 0, /* the nursery */
  RT_COLLECT_MAJOR = 1  /* the whole heap */
} rt_collection_kind;

/* `kind` is an rt_collection_kind. Collects now, stopping every other mutator (those in native are
 * not waited for). A minor collection may turn into a major one by the heap's policy
 * (major_growth_percent, or the old generation out of room). COLLECTS: raw references are stale
 * afterwards. Own thread, running. Errors: INVALID_ARGUMENT (NULL, unknown kind, not this thread's
 * mutator of this heap), INVALID_STATE (in native), OUT_OF_MEMORY (the old generation could not
 * take the nursery's survivors even after a major collection: the nursery was not collected, the
 * heap is consistent). */
RT_API rt_status rt_collect(rt_heap* heap, rt_mutator* m, uint32_t kind) RT_NOEXCEPT;

/* Counters since the heap was created (runa::heap::Stats). */
typedef struct rt_heap_stats {
  size_t size;                /* sizeof(rt_heap_stats) of the caller */
  uint64_t minor_collections; /* pauses that collected only the nursery */
  uint64_t major_collections; /* pauses that collected the whole heap */
  uint64_t total_pause_ns;
  uint64_t max_pause_ns;
  uint64_t p50_pause_ns; /* within 1/16 (log-linear histogram) */
  uint64_t p99_pause_ns;
  uint64_t allocated_bytes; /* young bytes counted at each collection, plus large ones */
  uint64_t promoted_bytes;  /* copied into the old generation */
  uint64_t surviving_bytes; /* copied into a survivor half */
  uint64_t survivor_bytes;  /* now: in the current survivor half */
  uint64_t old_bytes;       /* now: in old-generation blocks */
  uint64_t large_bytes;     /* now: blocks held by large objects */
  uint64_t committed_bytes; /* now: the nursery plus every block in use */
  /* Since 1.1. */
  uint64_t finalizers_run;     /* finalizers that have returned */
  uint64_t finalizers_pending; /* now: found unreachable, finalizer not returned yet */
  /* Since 1.2 (docs/memory.md: large arrays, committing and returning
   * memory, sizing ergonomics). */
  uint64_t remembered_slots_scanned; /* slots minor collections read in remembered objects */
  uint64_t returned_bytes;           /* old-generation memory given back to the OS */
  uint64_t return_calls;             /* the madvise calls that took */
  uint64_t retained_free_bytes;      /* now: free old blocks kept resident for reuse */
  uint64_t nursery_bytes;            /* now: eden plus both survivor halves, as sized now */
  uint64_t safepoint_handshakes;     /* stop-the-world handshakes */
  uint64_t time_to_safepoint_ns;     /* from arming the polls to the last mutator stopped */
  uint64_t max_time_to_safepoint_ns;
  uint64_t tlab_refills;              /* TLABs handed out of a thread's chunk */
  uint64_t eden_refills;              /* chunks taken from eden (one CAS each) */
  uint64_t eden_cas_retries;          /* of those CASes, the ones that failed */
  uint64_t mutator_lock_acquisitions; /* the safepoint lock, taken by mutators */
  uint64_t mutator_lock_contended;    /* of those, the ones that found it held */
} rt_heap_stats;

/* Zeroes the caller's struct (`size` bytes) and sets stats->size. Since
 * 1.1; use rt_heap_stats_init. Errors: INVALID_ARGUMENT (NULL, size below
 * the 1.0 size). */
RT_API rt_status rt_heap_stats_init_sized(rt_heap_stats* stats, size_t size) RT_NOEXCEPT;
/* As ABI 1.0 declared it: zeroes the 1.0 fields only and sets the 1.0 size. */
RT_API rt_status rt_heap_stats_init(rt_heap_stats* stats) RT_NOEXCEPT;
#define rt_heap_stats_init(stats) rt_heap_stats_init_sized((stats), sizeof *(stats))

/* Reads the statistics (out->size set by the caller, see "Versioning").
 * Never collects; any thread. Errors: INVALID_ARGUMENT (NULL, size too
 * small). */
RT_API rt_status rt_heap_get_stats(const rt_heap* heap, rt_heap_stats* out) RT_NOEXCEPT;

/* ---- Collection events (ABI 1.2) ---- */

/* Why a collection happened (runa::heap::CollectionCause). */
typedef enum rt_collection_cause {
  RT_CAUSE_EDEN_FULL = 0,    /* an allocation found the nursery full */
  RT_CAUSE_STRESS = 1,       /* the stress_every option */
  RT_CAUSE_REQUESTED = 2,    /* rt_collect */
  RT_CAUSE_OLD_GROWN = 3,    /* major: the old generation passed major_growth_percent */
  RT_CAUSE_NO_ROOM = 4,      /* major: promotion failed, the old generation was full */
  RT_CAUSE_LARGE_FAILURE = 5 /* major: a large or pinned allocation found no room */
} rt_collection_cause;

/* One collection, as a callback hears of it. Filled by RunaTime: `size` is
 * the size it filled; a later minor version may append fields (read them
 * only when `size` covers them). */
typedef struct rt_collection_event {
  size_t size;
  uint32_t kind;         /* rt_collection_kind: RT_COLLECT_MAJOR if the whole heap */
  uint32_t cause;        /* rt_collection_cause (treat unknown values as "other") */
  uint64_t start_ns;     /* a monotonic clock (steady_clock), since its epoch */
  uint64_t pause_ns;     /* the world was stopped this long */
  uint64_t before_bytes; /* heap bytes in use before and after */
  uint64_t after_bytes;
  uint64_t promoted_bytes; /* copied into the old generation */
} rt_collection_event;

/* Called after every collection, on the thread that requested it, once the
 * world has resumed, with that thread's mutator `m` running. It may call
 * what a running mutator may (allocate, handles, rt_collect): the
 * collections it causes itself are not reported, so it never recurses. It
 * must not remove a callback other than itself; `event` is valid during the
 * call only. */
typedef void (*rt_collection_callback)(void* context, rt_heap* heap, rt_mutator* m,
                                       const rt_collection_event* event);

/* Registers `fn(context, ...)` for every collection from now on. Any
 * thread; never collects. *out_id is unique for the heap's life. Errors:
 * INVALID_ARGUMENT (NULL), OUT_OF_MEMORY. */
RT_API rt_status rt_collection_callback_add(rt_heap* heap, rt_collection_callback fn, void* context,
                                            uint64_t* out_id) RT_NOEXCEPT;
/* Removes a callback. When it returns, no call of it is in progress on any
 * other thread (it waits for them in native: MAY COLLECT), so `context` may
 * be freed; called from the callback itself, it returns at once. Own thread,
 * running. Errors: INVALID_ARGUMENT (NULL, not this thread's mutator of this
 * heap, an id not registered or already removed), INVALID_STATE (in native). */
RT_API rt_status rt_collection_callback_remove(rt_heap* heap, rt_mutator* m,
                                               uint64_t id) RT_NOEXCEPT;

/* Stops the world and checks every root and object: each reference points
 * at a live object of a registered type in a valid space, and the
 * remembered set is complete. Moves nothing (raw references stay valid).
 * Own thread, running. Errors: INVALID_ARGUMENT, INVALID_STATE as for
 * rt_collect; VERIFY_FAILED with the first problem as the message. */
RT_API rt_status rt_heap_verify(rt_heap* heap, rt_mutator* m) RT_NOEXCEPT;

/* Blocks until the finalizer of every object found unreachable so far has
 * returned (since 1.1), for tests and orderly shutdown: `m` is in native
 * meanwhile, so collections proceed (it counts as MAY COLLECT). Own thread,
 * running. Errors: INVALID_ARGUMENT (NULL, not this thread's mutator of this
 * heap), INVALID_STATE (in native, or called from a finalizer, which would
 * wait for itself). */
RT_API rt_status rt_wait_for_finalizers(rt_heap* heap, rt_mutator* m) RT_NOEXCEPT;

/* ======================================================================== */
/* Inline fast paths                                                        */
/* ======================================================================== */

/* The same code as include/runatime/heap.hpp's inline paths, over
 * rt_mutator. They check nothing on the fast path: arguments must be
 * valid (the checked functions above report mistakes). Each falls back to
 * the out-of-line function named, and returns its status. */

/* Allocation: `bytes` as for rt_allocate_slow. MAY COLLECT (slow path).
 * Does not check the size: a large object that fits the thread's buffer is
 * an ordinary young object (use rt_allocate_large for one that must not
 * move). Writes only the header: a mutator from rt_attach (or given to a C
 * finalizer) has its buffers zeroed as it takes them, so the slots read
 * zero. */
static inline rt_status rt_fast_allocate(rt_mutator* m, uint32_t type, size_t bytes,
                                         rt_value* out) {
  uint8_t* p = m->cursor;
  if (RT_STATIC_CAST(size_t, m->limit - p) < bytes) return rt_allocate_slow(m, type, bytes, out);
  m->cursor = p + bytes;
  /* p is 8-byte aligned: buffers and sizes are multiples of 8. */
  *RT_STATIC_CAST(uint64_t*, RT_STATIC_CAST(void*, p)) = RT_STATIC_CAST(uint64_t, type)
                                                         << RT_HEADER_TYPE_SHIFT;
  *out = RT_PTR_CAST(rt_value, p);
  return RT_OK;
}

/* An array of `length` elements taking `bytes` (rt_ref_array_bytes or
 * rt_byte_array_bytes of length), length word set. MAY COLLECT. */
static inline rt_status rt_fast_allocate_array(rt_mutator* m, uint32_t type, size_t bytes,
                                               uint64_t length, rt_value* out) {
  rt_status s;
  if (bytes >= RT_LARGE_OBJECT_BYTES) return rt_allocate_array(m, type, length, out);
  s = rt_fast_allocate(m, type, bytes, out);
  if (s == RT_OK) rt_object_slots(*out)[0] = length;
  return s;
}

/* The write barrier: store, then log the object if it is old and not yet
 * logged (a large ref array: the slot's card). Never collects. */
static inline rt_status rt_fast_write(rt_mutator* m, rt_value object, rt_value* slot,
                                      rt_value value) {
  RT_STORE_RELAXED(slot, value);
  if ((RT_LOAD_RELAXED(RT_PTR_CAST(uint64_t*, object)) & RT_HEADER_UNLOGGED) != 0) {
    return rt_log_store(m, object, slot);
  }
  return RT_OK;
}

/* The safepoint poll: one relaxed load and a branch. MAY COLLECT. */
static inline rt_status rt_fast_poll(rt_mutator* m) {
  if (RT_LOAD_RELAXED(&m->poll) != 0) return rt_safepoint_slow(m);
  return RT_OK;
}

/* A new handle in the current scope. Never collects. */
static inline rt_status rt_fast_handle(rt_mutator* m, rt_value value, rt_handle* out) {
  rt_value* s = m->handle_top;
  if (s == m->handle_limit) return rt_handle_new(m, value, out);
  m->handle_top = s + 1;
  *s = value;
  out->slot = s;
  return RT_OK;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RUNATIME_C_HEAP_H */
