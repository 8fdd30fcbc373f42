/*
 * worker: runs in a freshly forked, already sandboxed process.  It trusts
 * its own code and the modules compiled into it; the job bytes come from
 * the supervisor, but the message in them is hostile, and the decoder
 * treats the whole job as untrusted.  The only descriptors it may use are
 * SANDBOX_FD_CHAN and SANDBOX_FD_JOB; it logs nothing itself -- its log
 * lines travel in the verdict.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filters/host.h"
#include "filterd/lib/message.h"
#include "sandbox/sandbox.h"
#include "filterd/spawner.h"
#include "filterd/lib/verdict.h"
#include "filterd/lib/wire.h"
#include "filterd/worker.h"

/*
 * Ends the worker.  Not _exit(): with sanitizers, that runs LeakSanitizer,
 * whose system calls the sandbox kills.
 */
void
worker_exit(int status)
{
	syscall(SYS_exit_group, status);
	for (;;)
		;
}

/* Maps the size bytes of the memfd, which must hold that many exactly. */
static const uint8_t *
worker_map(uint64_t size)
{
	void	*p;

	/* A size past the end of the memfd would fault when read. */
	if (size == 0 || lseek(SANDBOX_FD_JOB, 0, SEEK_END) != (off_t)size)
		return NULL;
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, SANDBOX_FD_JOB, 0);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * A JOBREF: the whole job in the memfd, whose nonce must be the
 * reference's.  Decodes it into m; returns the nonce, or ends the worker.
 */
static uint64_t
worker_whole(const struct config *c, const struct buf *b, struct message *m)
{
	const uint8_t	*job;
	const char	*why;
	uint64_t	 nonce, jnonce, size;

	if (wire_dec_jobref(buf_data(b), buf_len(b), &nonce, &size,
	    &why) == -1 ||
	    size > (uint64_t)c->message_size + WIRE_JOB_OVERHEAD ||
	    (job = worker_map(size)) == NULL ||
	    wire_dec_job(job, (size_t)size, &jnonce, m, &why) == -1 ||
	    jnonce != nonce)
		worker_exit(WORKER_EXIT_IO);
	return nonce;
}

/*
 * A JOBHEAD: the job but its body, which is the memfd, whole.  Decodes
 * it into m, the body in place; returns the nonce, or ends the worker.
 */
static uint64_t
worker_head(const struct buf *b, struct message *m)
{
	const uint8_t	*body;
	const char	*why;
	uint64_t	 nonce;
	size_t		 len;

	if (wire_dec_jobhead(buf_data(b), buf_len(b), &nonce, m, &len,
	    &why) == -1 ||
	    (body = worker_map(len)) == NULL ||
	    message_body_ref(m, body, len) == -1)
		worker_exit(WORKER_EXIT_IO);
	return nonce;
}

/*
 * Receives the job, in any of its three forms (wire.h): a frame without
 * a descriptor is the job inline; with one, it is a JOBREF or a JOBHEAD,
 * and anything else is refused.  Each form is decoded by its one decoder
 * into m, the body never copied.  Returns the nonce; anything wrong ends
 * the worker.
 */
static uint64_t
worker_job(const struct config *c, struct message *m)
{
	struct buf	*b;
	const char	*why;
	char		 err[128];
	uint64_t	 nonce;
	ssize_t		 n;
	int		 fd;

	if ((b = buf_new(WIRE_JOB_INLINE_MAX + 1)) == NULL)
		worker_exit(WORKER_EXIT_IO);
	n = wire_recv(SANDBOX_FD_CHAN, b, WIRE_JOB_INLINE_MAX, &fd);
	/* End of file: the spawner retired before this worker got a job. */
	if (n == 0)
		worker_exit(WORKER_EXIT_OK);
	if (n == -1)
		worker_exit(WORKER_EXIT_IO);
	/* The body stays in b: never freed, as the worker ends first. */
	if (fd == -1) {
		if (wire_dec_job(buf_data(b), buf_len(b), &nonce, m,
		    &why) == -1)
			worker_exit(WORKER_EXIT_IO);
		return nonce;
	}
	/* Narrowed before anything sizes, maps or reads it (FreeBSD). */
	if (sandbox_worker_job(fd, err, sizeof(err)) == -1)
		worker_exit(WORKER_EXIT_SANDBOX);
	if (fd != SANDBOX_FD_JOB)
		worker_exit(WORKER_EXIT_IO);
	switch (wire_peek_type(buf_data(b), buf_len(b))) {
	case WIRE_JOBREF:
		return worker_whole(c, b, m);
	case WIRE_JOBHEAD:
		return worker_head(b, m);
	}
	worker_exit(WORKER_EXIT_IO);
}

void
worker_run(const struct config *c, const struct modules *mods)
{
	struct message	*m;
	struct verdict	*v;
	struct buf	*b;
	uint64_t	 nonce;
	int		 rc;

	if ((m = message_new((size_t)c->message_size)) == NULL)
		worker_exit(WORKER_EXIT_IO);
	nonce = worker_job(c, m);
	if ((v = verdict_new()) == NULL ||
	    (b = buf_new(WIRE_VERDICT_MAX)) == NULL)
		worker_exit(WORKER_EXIT_IO);
	v->nonce = nonce;
	if (modules_check(mods, m, v) == -1)
		worker_exit(WORKER_EXIT_MODULE);
	/* A trace that would make the verdict too large goes, not the verdict. */
	if ((rc = wire_enc_verdict(b, v)) == -1 && v->trace != NULL) {
		free(v->trace);
		v->trace = NULL;
		rc = wire_enc_verdict(b, v);
	}
	if (rc == -1 || wire_send(SANDBOX_FD_CHAN, b, -1) == -1)
		worker_exit(WORKER_EXIT_IO);
	/* The supervisor answers once this process is gone: at once. */
	worker_exit(WORKER_EXIT_OK);
}
