/*
 * wire: the frames that pass between supervisor, spawner and worker, and
 * the socket I/O that carries them.  Shared by all three processes.
 *
 * A frame is one SOCK_SEQPACKET datagram: a header (u8 version, u8 type,
 * u16 zero, u32 payload length) and the payload, integers big-endian,
 * strings as u32 length + bytes.  A job travels to its worker in one of
 * three forms:
 *  - inline: a JOB frame of at most WIRE_JOB_INLINE_MAX bytes, the one
 *    frame on the worker's channel, without a descriptor;
 *  - a JOBHEAD frame of at most that size, with a sealed memfd that holds
 *    the body and nothing else: the supervisor wrote the body there as
 *    it came (message_spill_above), and the worker maps it;
 *  - a JOBREF frame with a sealed memfd that holds the whole JOB frame,
 *    for a job whose header is too large to go inline.
 *
 * There is one decoder per frame type.  Each reads every field, bounds
 * every length, requires the exact end of the frame, and returns 0 or -1
 * with a short static reason in *why_r.  Nothing unexpected is skipped.
 */
#ifndef FILTERD_LIB_WIRE_H
#define FILTERD_LIB_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "filterd/lib/buf.h"

struct message;
struct verdict;

#define WIRE_VERSION		1
#define WIRE_HDR_LEN		8
#define WIRE_CTL_MAX		64
#define WIRE_VERDICT_MAX	65536
/*
 * A job holds the message -- header and body, at most limits.message_size
 * as struct message counts them -- plus at most this much: the envelope,
 * the macros, and each field's length prefixes.  wire.c checks at compile
 * time that the bounds of struct message keep it so; the supervisor sizes
 * the job with it and the worker refuses a larger one.
 */
#define WIRE_JOB_OVERHEAD	(4 * 1024 * 1024)
/*
 * The largest job sent inline.  Below it a memfd costs more than the
 * copy through the socket; the socket's send buffer holds it whole.
 */
#define WIRE_JOB_INLINE_MAX	(64 * 1024)

enum wire_type {
	WIRE_REQUEST = 1,	/* supervisor -> spawner: a worker, please;
				   supervisor -> parent: a spawner, please */
	WIRE_WORKER,		/* spawner -> supervisor: pid, + the worker's
				   channel and a pidfd of it */
	WIRE_SPAWNER,		/* parent -> supervisor: pid, + control fd */
	WIRE_JOBREF,		/* supervisor -> worker: nonce, size, + memfd */
	WIRE_JOB,		/* in the memfd: the message */
	WIRE_VERDICT,		/* worker -> supervisor: the verdict */
	WIRE_CONFIG,		/* parent -> supervisor, after WIRE_SPAWNER:
				   the spawner's configuration generation,
				   + its snapshot memfd */
	WIRE_GRANT,		/* supervisor -> spawner: n more workers */
	WIRE_JOBHEAD,		/* supervisor -> worker: the job but its body,
				   + a memfd of the body */
};

/* The type of a frame whose header is sound, or -1. */
int	wire_peek_type(const uint8_t *, size_t);

int	wire_enc_request(struct buf *);
int	wire_dec_request(const uint8_t *, size_t, const char **why_r);

/*
 * WIRE_GRANT: the supervisor wants n more workers, 1 to WIRE_GRANT_MAX;
 * the spawner sends them as soon as it has them, each in a WIRE_WORKER
 * frame, and never one that was not granted.
 */
#define WIRE_GRANT_MAX		64
int	wire_enc_grant(struct buf *, unsigned n);
int	wire_dec_grant(const uint8_t *, size_t, unsigned *n_r, const char **);

/* WIRE_WORKER and WIRE_SPAWNER: a pid, with a descriptor attached. */
int	wire_enc_pid(struct buf *, int type, pid_t);
int	wire_dec_pid(const uint8_t *, size_t, int type, pid_t *,
	    const char **);

int	wire_enc_config(struct buf *, uint64_t generation);
int	wire_dec_config(const uint8_t *, size_t, uint64_t *generation_r,
	    const char **);

int	wire_enc_jobref(struct buf *, uint64_t nonce, uint64_t size);
int	wire_dec_jobref(const uint8_t *, size_t, uint64_t *nonce_r,
	    uint64_t *size_r, const char **);

/* The job's flags byte, before the body. */
#define WIRE_JOB_OVERSIZE	0x01	/* message.h's oversize */
#define WIRE_JOB_TRACE		0x02	/* message.h's trace */

int	wire_enc_job(struct buf *, uint64_t nonce, const struct message *);
/*
 * Fills m, which must be empty; on -1 it may hold part of the job.  m's
 * body is not copied: it points into the frame, which must outlive m.
 */
int	wire_dec_job(const uint8_t *, size_t, uint64_t *nonce_r,
	    struct message *m, const char **);
/*
 * The job without its body, whose length it carries (1 or more): the
 * body travels in its own memfd.  The decoder fills m as wire_dec_job
 * does, but for the body, which the caller gives m with message_body_ref
 * once it has checked that the memfd holds *bodylen_r bytes exactly.
 */
int	wire_enc_jobhead(struct buf *, uint64_t nonce, const struct message *);
int	wire_dec_jobhead(const uint8_t *, size_t, uint64_t *nonce_r,
	    struct message *m, size_t *bodylen_r, const char **);

int	wire_enc_verdict(struct buf *, const struct verdict *);
/* Fills v, which must be zeroed; on -1, verdict_clear(v) frees it. */
int	wire_dec_verdict(const uint8_t *, size_t, struct verdict *,
	    const char **);

/* The most descriptors a frame carries: WIRE_WORKER's two. */
#define WIRE_FDS_MAX		2

/*
 * Sends one frame, with fd attached when fd >= 0.  Returns 0 or -1 with
 * errno set.  Never raises SIGPIPE.
 */
int	wire_send(int sock, const struct buf *, int fd);
/* The same with nfds descriptors attached, at most WIRE_FDS_MAX. */
int	wire_send_fds(int sock, const struct buf *, const int *fds,
	    size_t nfds);
/*
 * Receives one frame of at most max bytes into b.  A descriptor that came
 * with it is stored in *fd_r (close-on-exec), else *fd_r is -1; fd_r may be
 * NULL when none is expected, and then any descriptor is closed and the
 * frame refused.  Returns the length, 0 at end of file, or -1 (errno EMSGSIZE
 * for an oversized frame or more than one descriptor).
 */
ssize_t	wire_recv(int sock, struct buf *b, size_t max, int *fd_r);
/*
 * As wire_recv, for a frame that must come with exactly nfds descriptors
 * (1 to WIRE_FDS_MAX), stored in fds_r in the order they were sent.  A
 * frame with any other number has them all closed and is refused (errno
 * EMSGSIZE); at end of file (0) no descriptor is stored.
 */
ssize_t	wire_recv_fds(int sock, struct buf *b, size_t max, int *fds_r,
	    size_t nfds);

/*
 * On SOCK_SEQPACKET an empty record reads as 0 bytes, like end of file.
 * A socket whose receiving end has SO_PASSCRED set (wire_passcred) gets
 * the sender's credentials with every record and none at end of file,
 * which tells them apart.  wire_recv_peer receives one frame without
 * descriptors from such a socket, and stores the sender's pid (as this
 * process's pid namespace sees it) in *pid_r.  Returns the length, 0 only
 * at end of file, or -1 with errno EBADMSG for an empty record, EPROTO
 * for a record without credentials (the option is not set), EMSGSIZE for
 * an oversized frame or one with descriptors (closed).  It never waits:
 * with nothing there, it returns -1 with errno EAGAIN.
 */
ssize_t	wire_recv_peer(int sock, struct buf *b, size_t max, pid_t *pid_r);
int	wire_passcred(int sock);

#endif
