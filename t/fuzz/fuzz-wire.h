/*
 * t/fuzz/fuzz-wire.h: the input format shared by the wire fuzz target
 * (fuzz-wire.c) and the program that writes its seed corpus (mkseeds.c).
 * Runs in test programs only.
 *
 * An input is one selector byte, then the frame.  The selector, taken
 * modulo FW_NDEC, picks the decoder the frame is fed to.
 */
#ifndef FILTERD_FUZZ_WIRE_H
#define FILTERD_FUZZ_WIRE_H

enum fw_decoder {
	FW_VERDICT = 0,
	FW_JOB,
	FW_JOBREF,
	FW_WORKER,	/* wire_dec_pid(WIRE_WORKER) */
	FW_SPAWNER,	/* wire_dec_pid(WIRE_SPAWNER) */
	FW_REQUEST,
	FW_CONFIG,
	FW_GRANT,
	FW_JOBHEAD,
	FW_NDEC
};

/* The body limit a decoded job is held to, as a worker's message_size. */
#define FW_BODY_MAX	(1024 * 1024)

#endif
