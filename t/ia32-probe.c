/*
 * ia32-probe: exits 0 when int $0x80 reaches the kernel's i386 system call
 * entry, 1 when it does not (a kernel without IA32 emulation, where the
 * instruction is a general protection fault and seccomp never sees it).
 * t/30-hostile.sh asks it what a worker's i386 call should die of.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
#if defined(__x86_64__)
	pid_t	 pid;
	long	 ret;
	int	 status;

	if ((pid = fork()) == -1)
		return 2;
	if (pid == 0) {
		__asm__ volatile ("int $0x80" : "=a"(ret) : "a"(20L)
		    : "r8", "r9", "r10", "r11", "memory", "cc");
		_exit(ret == getpid() ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) == -1)
		return 2;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
#else
	return 1;
#endif
}
