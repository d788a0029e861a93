/* runatime/c/concurrency.h — the concurrency services in the C ABI (since
 * ABI 1.10): channels of Runa values, actors whose behaviour is a C
 * function or a Runa function, and C functions run on the runtime's pool.
 * docs/bridge.md ("Concurrency from C") explains each call; this header is
 * the contract. Included by runatime.h (include that one).
 *
 * Rules beyond base.h's and bridge.h's:
 *   - A Channel and an Actor are Runa values (rt_value): the very objects
 *     the program natives make and take (channel_new, actor_spawn, ...), so
 *     C and Runa code share them — pass one to rt_call, or receive one from
 *     Runa code. Like any reference, a host keeps one across calls that may
 *     collect in slots registered with rt_thread_roots_add; the runtime
 *     frees what it stands for once no slot or object references it.
 *   - Values travel by reference, never copied, and the collector keeps a
 *     value alive and updates it while it waits in a channel or a mailbox.
 *   - Every call that waits (send, receive, ask, wait) waits in a blocking
 *     region: an attached thread blocked in it never delays a collection,
 *     and the call MAY COLLECT (every reference the caller holds outside
 *     registered roots is stale after it).
 *   - A timeout is in milliseconds: RT_WAIT_FOREVER waits without limit, 0
 *     or more gives up with RT_ERROR_TIMEOUT once that much time has
 *     passed; any other negative value is RT_ERROR_INVALID_ARGUMENT.
 *   - RT_ERROR_CLOSED: the channel is closed (for a receive: and drained),
 *     or the actor is stopping or has stopped. RT_ERROR_WOULD_BLOCK: a try_
 *     call found the channel full or empty, or the mailbox full.
 *   - A value of the wrong kind (a String where a Channel is wanted) is
 *     RT_ERROR_INVALID_ARGUMENT, as are NULL pointers.
 */
#ifndef RUNATIME_C_CONCURRENCY_H
#define RUNATIME_C_CONCURRENCY_H

#include "runatime/c/base.h"
#include "runatime/c/bridge.h"
#include "runatime/c/heap.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RT_WAIT_FOREVER (-1)

/* ======================================================================== */
/* Channels                                                                 */
/* ======================================================================== */

/* The largest capacity of a bounded channel. */
#define RT_CHANNEL_MAX_CAPACITY (1u << 20)

/* A new Channel: holding up to `capacity` values (rounded up to a power of
 * two, at least 2), or any number when `capacity` is 0. MAY COLLECT.
 * RT_ERROR_INVALID_ARGUMENT above RT_CHANNEL_MAX_CAPACITY;
 * RT_ERROR_OUT_OF_MEMORY when the heap cannot hold it. */
RT_API rt_status rt_channel_new(rt_thread* thread, uint64_t capacity, rt_value* out) RT_NOEXCEPT;

/* Sends `value`, waiting while the channel is full. RT_ERROR_CLOSED (the
 * value not sent) once it is closed, RT_ERROR_TIMEOUT (not sent) when the
 * timeout passed first. MAY COLLECT. */
RT_API rt_status rt_channel_send(rt_thread* thread, rt_value channel, rt_value value,
                                 int64_t timeout_ms) RT_NOEXCEPT;

/* The oldest value sent and not yet received, waiting while there is none:
 * each value is received once, in the order its send took effect.
 * RT_ERROR_CLOSED once the channel is closed and every value sent before
 * the close was received; RT_ERROR_TIMEOUT when the timeout passed first.
 * MAY COLLECT. */
RT_API rt_status rt_channel_receive(rt_thread* thread, rt_value channel, int64_t timeout_ms,
                                    rt_value* out) RT_NOEXCEPT;

/* rt_channel_send and _receive that never wait: RT_ERROR_WOULD_BLOCK when
 * the channel is full (nothing sent) or empty. */
RT_API rt_status rt_channel_try_send(rt_thread* thread, rt_value channel,
                                     rt_value value) RT_NOEXCEPT;
RT_API rt_status rt_channel_try_receive(rt_thread* thread, rt_value channel,
                                        rt_value* out) RT_NOEXCEPT;

/* Closes the channel: final, closing twice is harmless. Waiting senders
 * fail with RT_ERROR_CLOSED, waiting receivers take what is left, then
 * fail. Never collects. */
RT_API rt_status rt_channel_close(rt_thread* thread, rt_value channel) RT_NOEXCEPT;

/* ======================================================================== */
/* Actors                                                                   */
/* ======================================================================== */

/* A C behaviour: called once per message, one message at a time, on a
 * worker of the runtime's pool (`thread` is that worker's, valid for the
 * call: rt_actor_reply answers an ask with it). RT_OK goes on to the next
 * message; any other status fails the actor as a Runa behaviour that threw
 * (the exception in flight for RT_ERROR_THROWN, else a ValueError naming
 * the status): it stops, and monitors see reason "failed". It must not
 * wait for an actor (rt_actor_ask and rt_actor_wait refuse it). */
typedef rt_status (*rt_actor_fn)(rt_thread* thread, rt_value message, void* context);

/* A new actor running fn(thread, message, context) for each message; its
 * mailbox holds at most `capacity` messages (0: unbounded). `context`
 * must stay valid until rt_actor_wait has returned for the actor (or the
 * runtime is destroyed). MAY COLLECT. */
RT_API rt_status rt_actor_spawn(rt_thread* thread, rt_actor_fn fn, void* context, uint64_t capacity,
                                rt_value* out) RT_NOEXCEPT;

/* A new actor running the Runa function `behaviour` (a Function or
 * closure taking (state, message) and returning the next state) from
 * `state`, as the native actor_spawn does (actor_spawn_bounded when
 * `capacity` is not 0). RT_ERROR_INVALID_ARGUMENT when `behaviour` cannot
 * be called with 2 arguments. MAY COLLECT. */
RT_API rt_status rt_actor_spawn_function(rt_thread* thread, rt_value behaviour, rt_value state,
                                         uint64_t capacity, rt_value* out) RT_NOEXCEPT;

/* Queues `message` for the actor (one thread's messages are handled in the
 * order sent), waiting while its bounded mailbox is full. RT_ERROR_CLOSED
 * when the actor is stopping or has stopped (not delivered). MAY COLLECT. */
RT_API rt_status rt_actor_send(rt_thread* thread, rt_value actor, rt_value message) RT_NOEXCEPT;

/* rt_actor_send without waiting: RT_ERROR_WOULD_BLOCK (nothing sent) when
 * the bounded mailbox is full: the sender's backpressure. */
RT_API rt_status rt_actor_try_send(rt_thread* thread, rt_value actor, rt_value message) RT_NOEXCEPT;

/* Sends `message` (waiting for room in a full mailbox) and waits for the
 * behaviour's reply (rt_actor_reply, or the native actor_reply of a Runa
 * behaviour). RT_ERROR_TIMEOUT when no reply came within the timeout (the
 * actor keeps the message and may still handle it; its reply is then
 * dropped); RT_ERROR_CLOSED when the actor was stopping or stopped before
 * it handled the message; RT_ERROR_THROWN, the exception in flight on the
 * thread, when the behaviour returned without replying or failed on the
 * message; RT_ERROR_INVALID_STATE inside a behaviour. MAY COLLECT. */
RT_API rt_status rt_actor_ask(rt_thread* thread, rt_value actor, rt_value message,
                              int64_t timeout_ms, rt_value* out) RT_NOEXCEPT;

/* Inside a C behaviour: answers the ask being handled with `value`; *asked
 * (may be NULL) is 1, or 0 when the message came by a send (the value is
 * dropped). RT_ERROR_INVALID_STATE outside a behaviour, or for an ask
 * answered already. */
RT_API rt_status rt_actor_reply(rt_thread* thread, rt_value value, int* asked) RT_NOEXCEPT;

/* The actor handles what was sent before, then stops; later sends and
 * asks get RT_ERROR_CLOSED. A second stop does nothing. Never waits. */
RT_API rt_status rt_actor_stop(rt_thread* thread, rt_value actor) RT_NOEXCEPT;

/* Waits until the actor has stopped: RT_OK with its last state in *out
 * (may be NULL; a C behaviour's state is an opaque object),
 * RT_ERROR_THROWN with what its behaviour threw in flight on the thread,
 * RT_ERROR_CLOSED when it was killed (a link or its supervisor);
 * RT_ERROR_INVALID_STATE inside a behaviour. MAY COLLECT. */
RT_API rt_status rt_actor_wait(rt_thread* thread, rt_value actor, rt_value* out) RT_NOEXCEPT;

/* Once `actor` stops, the actor `watcher` gets the message
 * ("down", actor, reason, error), a Tuple, as the native actor_monitor
 * sends it (reason "normal", "failed" or "killed"); at once when `actor`
 * has stopped already. Never collects. */
RT_API rt_status rt_actor_monitor(rt_thread* thread, rt_value actor, rt_value watcher) RT_NOEXCEPT;

/* ======================================================================== */
/* Jobs on the runtime's pool                                               */
/* ======================================================================== */

typedef struct rt_job rt_job; /* opaque */

/* A job: runs on a worker of the runtime's pool, an attached thread
 * (`thread`, valid for the call) that may allocate and run Runa code. Its
 * status is what rt_job_wait returns. It must remove the roots it adds and
 * clear an exception it leaves (rt_job_wait reports its text). Like any
 * running mutator, a long job that neither calls the runtime nor waits
 * holds collections up. */
typedef rt_status (*rt_job_fn)(rt_thread* thread, void* context);

/* Starts fn(thread, context) on the runtime's pool (the workers actors
 * run on, started at first use). Any thread, attached or not; refused
 * with RT_ERROR_INVALID_STATE before any thread attached (the workers
 * attach, after which no native or tier registers). Wait for every job
 * before rt_runtime_destroy. */
RT_API rt_status rt_job_start(rt_runtime* runtime, rt_job_fn fn, void* context,
                              rt_job** out) RT_NOEXCEPT;

/* Waits for the job: RT_ERROR_TIMEOUT when the timeout passed first (the
 * job stays the caller's: wait again); otherwise the job has ended and is
 * freed, and the call returns its status (its last error, or the text of
 * an exception it left, becomes the caller's). Waits in a blocking region
 * when the calling thread is attached. */
RT_API rt_status rt_job_wait(rt_job* job, int64_t timeout_ms) RT_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RUNATIME_C_CONCURRENCY_H */
