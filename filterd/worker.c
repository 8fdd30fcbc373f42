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

/* Receives the job reference and maps the job; returns its bytes. */
static const uint8_t *
worker_map_job(const struct config *c, uint64_t *nonce_r, size_t *len_r)
{
	struct buf	*b;
	uint64_t	 size;
	const char	*why;
	char		 err[128];
	void		*p;
	int		 fd;

	if ((b = buf_new(WIRE_CTL_MAX + 1)) == NULL)
		return NULL;
	/* End of file: the spawner retired before this worker got a job. */
	if (wire_recv(SANDBOX_FD_CHAN, b, WIRE_CTL_MAX, &fd) == 0)
		worker_exit(WORKER_EXIT_OK);
	/* Narrowed before anything sizes, maps or reads it (FreeBSD). */
	if (fd != -1 && sandbox_worker_job(fd, err, sizeof(err)) == -1)
		worker_exit(WORKER_EXIT_SANDBOX);
	if (fd != SANDBOX_FD_JOB ||
	    wire_dec_jobref(buf_data(b), buf_len(b), nonce_r, &size,
	    &why) == -1 ||
	    size == 0 || size > (uint64_t)c->message_size + WIRE_JOB_OVERHEAD) {
		buf_free(&b);
		return NULL;
	}
	buf_free(&b);
	/* A size past the end of the memfd would fault when read. */
	if (lseek(SANDBOX_FD_JOB, 0, SEEK_END) != (off_t)size)
		return NULL;
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, SANDBOX_FD_JOB, 0);
	if (p == MAP_FAILED)
		return NULL;
	*len_r = (size_t)size;
	return p;
}

void
worker_run(const struct config *c, const struct modules *mods)
{
	struct message	*m;
	struct verdict	*v;
	struct buf	*b;
	const uint8_t	*job;
	const char	*why;
	uint64_t	 nonce, jnonce;
	size_t		 len;
	int		 rc;

	if ((job = worker_map_job(c, &nonce, &len)) == NULL)
		worker_exit(WORKER_EXIT_IO);
	if ((m = message_new((size_t)c->message_size)) == NULL ||
	    wire_dec_job(job, len, &jnonce, m, &why) == -1 || jnonce != nonce)
		worker_exit(WORKER_EXIT_IO);
	if ((v = verdict_new()) == NULL ||
	    (b = buf_new(WIRE_VERDICT_MAX)) == NULL)
		worker_exit(WORKER_EXIT_IO);
	v->nonce = nonce;
	if (modules_check(mods, m, v) == -1)
		worker_exit(WORKER_EXIT_MODULE);
	/* A trace that would make the verdict too large goes, not the verdict. */
	if ((rc = wire_enc_verdict(b, v)) == -1 && v->ntrace > 0) {
		verdict_drop_trace(v);
		rc = wire_enc_verdict(b, v);
	}
	if (rc == -1 || wire_send(SANDBOX_FD_CHAN, b, -1) == -1)
		worker_exit(WORKER_EXIT_IO);
	/* The supervisor answers once this process is gone: at once. */
	worker_exit(WORKER_EXIT_OK);
}
