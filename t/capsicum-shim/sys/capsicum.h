/*
 * t/capsicum-shim/sys/capsicum.h: a stand-in for FreeBSD's <sys/capsicum.h>
 * so that sandbox/capsicum.c compiles and runs on Linux, for t/11-capsicum
 * only.  Runs in that test program; trusts nothing.
 *
 * The rights have FreeBSD's values and shapes (CAPRIGHT's index bits, the
 * aliases CAP_RECV and CAP_SEND, the composite CAP_SEEK, CAP_PREAD and
 * CAP_MMAP_R), the fcntl rights are FreeBSD's (1 << F_GETFL and so on,
 * with FreeBSD's F_* numbers), and cap_rights_init() is the same variadic
 * macro with its 0ULL sentinel, so code that compiles against this header
 * means the same on FreeBSD.  The calls do nothing to the process: they
 * record themselves in order, refuse what FreeBSD refuses (a closed
 * descriptor, rights wider than the descriptor has), and fail when the
 * test says so (t/capsicum-shim.c, t/capsicum-shim.h).
 */
#ifndef FILTERD_T_CAPSICUM_SHIM_SYS_CAPSICUM_H
#define FILTERD_T_CAPSICUM_SHIM_SYS_CAPSICUM_H

#include <stddef.h>
#include <stdint.h>

#define CAP_RIGHTS_VERSION	0

/* FreeBSD's errno values (<errno.h> there), out of Linux's range here. */
#define ENOTCAPABLE	9093
#define ECAPMODE	9094

typedef struct cap_rights {
	uint64_t	cr_rights[CAP_RIGHTS_VERSION + 2];
} cap_rights_t;

typedef unsigned long	cap_ioctl_t;

#define CAPRIGHT(idx, bit)	((1ULL << (57 + (idx))) | (bit))

#define CAP_READ	CAPRIGHT(0, 0x0000000000000001ULL)
#define CAP_WRITE	CAPRIGHT(0, 0x0000000000000002ULL)
#define CAP_SEEK_TELL	CAPRIGHT(0, 0x0000000000000004ULL)
#define CAP_SEEK	(CAP_SEEK_TELL | 0x0000000000000008ULL)
#define CAP_PREAD	(CAP_SEEK | CAP_READ)
#define CAP_PWRITE	(CAP_SEEK | CAP_WRITE)
#define CAP_MMAP	CAPRIGHT(0, 0x0000000000000010ULL)
#define CAP_MMAP_R	(CAP_MMAP | CAP_SEEK | CAP_READ)
#define CAP_MMAP_W	(CAP_MMAP | CAP_SEEK | CAP_WRITE)
#define CAP_MMAP_X	(CAP_MMAP | CAP_SEEK | 0x0000000000000020ULL)
#define CAP_FEXECVE	CAPRIGHT(0, 0x0000000000000080ULL)
#define CAP_FCNTL	CAPRIGHT(0, 0x0000000000008000ULL)
#define CAP_FSTAT	CAPRIGHT(0, 0x0000000000080000ULL)
#define CAP_ACCEPT	CAPRIGHT(0, 0x0000000020000000ULL)
#define CAP_BIND	CAPRIGHT(0, 0x0000000040000000ULL)
#define CAP_CONNECT	CAPRIGHT(0, 0x0000000080000000ULL)
#define CAP_RECV	CAP_READ
#define CAP_SEND	CAP_WRITE
#define CAP_SHUTDOWN	CAPRIGHT(0, 0x0000004000000000ULL)
#define CAP_EVENT	CAPRIGHT(1, 0x0000000000000020ULL)
#define CAP_IOCTL	CAPRIGHT(1, 0x0000000000000080ULL)

/* FreeBSD's F_GETFL 3, F_SETFL 4, F_GETOWN 5, F_SETOWN 6. */
#define CAP_FCNTL_GETFL		(1 << 3)
#define CAP_FCNTL_SETFL		(1 << 4)
#define CAP_FCNTL_GETOWN	(1 << 5)
#define CAP_FCNTL_SETOWN	(1 << 6)
#define CAP_FCNTL_ALL		(CAP_FCNTL_GETFL | CAP_FCNTL_SETFL | \
				 CAP_FCNTL_GETOWN | CAP_FCNTL_SETOWN)

#define CAP_IOCTLS_ALL	SSIZE_MAX

#define cap_rights_init(...) \
	shim_cap_rights_init(CAP_RIGHTS_VERSION, __VA_ARGS__, 0ULL)

cap_rights_t	*shim_cap_rights_init(int version, cap_rights_t *, ...);
int		 cap_rights_limit(int fd, const cap_rights_t *);
int		 cap_ioctls_limit(int fd, const cap_ioctl_t *, size_t);
int		 cap_fcntls_limit(int fd, uint32_t);
int		 cap_enter(void);
int		 cap_getmode(unsigned int *modep);

#endif
