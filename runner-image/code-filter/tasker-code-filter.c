/*
 * tasker-code-filter --tracer=seccomp-bpf|ptrace|none [--] PROGRAM [ARG...]
 *
 * Loads a seccomp filter for the code only, then execs PROGRAM (an absolute path). The supervisor runs it after the
 * drop to the code's uid and before the interpreter, under strace, so the filter is stacked on strace's own (the
 * strictest action of all filters wins) and binds the code and everything it starts, never strace or the supervisor.
 * docs/sandbox-design.md, section 8, has the reasons and the measurements behind each choice.
 *
 * What it refuses, because each would move a syscall past strace:
 *   io_uring_setup/enter/register  the ring does opens and reads with no syscall strace sees
 *   seccomp()                      a second filter with a user-notification listener outranks strace's RET_TRACE
 *   ptrace()                       a tracer of its own (e.g. on an untraced child) receives strace's seccomp stops
 *   clone(CLONE_UNTRACED)          a child strace does not follow
 *   prctl(PR_SET_SECCOMP)          the older way to load a filter
 *   clone3()                       its flags (CLONE_UNTRACED too) sit in memory a filter cannot read
 *
 * How it refuses, so that the refusal shows in the trace:
 *   the first three, --tracer=seccomp-bpf (strace --seccomp-bpf, Linux): SECCOMP_RET_TRACE. strace stops on them and
 *     answers EPERM itself (-e inject=...:error=EPERM), printed as "= -1 EPERM (Operation not permitted) (INJECTED)".
 *     A filter's ERRNO would outrank strace's TRACE and never reach the trace. With no tracer attached (strace died,
 *     or a process escaped it) RET_TRACE fails the call with ENOSYS, so the refusal holds without strace too.
 *   the first three, --tracer=ptrace (strace without seccomp stops: gVisor): let through to strace, which stops at
 *     every call and injects EPERM the same way. gVisor (runsc 20221219) runs the filter before that stop, so a TRAP
 *     here would kill instead, and after any ERRNO or caught SIGSYS it hands strace a stale "-1 ENOSYS" as the
 *     result of every later call of that task (the supervisor then marks the trace incomplete). With no tracer the
 *     run is incomplete anyway (strace's end is missing, or a process outlived it).
 *   the first three, --tracer=none (no tracer, e.g. the preparation container): SECCOMP_RET_ERRNO(EPERM).
 *   clone(CLONE_UNTRACED), prctl(PR_SET_SECCOMP): SECCOMP_RET_TRAP. strace cannot refuse by argument, and an ERRNO
 *     would be invisible under --seccomp-bpf; the SIGSYS it raises is always in the trace
 *     ("--- SIGSYS {... si_syscall=__NR_clone ...} ---") and, unhandled, ends the process. No program the code
 *     legitimately runs uses either.
 *   clone3 fails ENOSYS, so that glibc falls back to clone, whose flags the filter can read: strace injects it
 *     (-e inject=clone3:error=ENOSYS, the trace shows which clone3 asked for CLONE_UNTRACED); behind it
 *     --tracer=seccomp-bpf hands clone3 to strace (RET_TRACE), --tracer=none answers ERRNO(ENOSYS) and
 *     --tracer=ptrace lets it through to a kernel that has no clone3 (gVisor). A SIGSYS would end every thread start.
 * Both syscall tables a 64-bit process can reach are covered: x86_64 and i386 (int 0x80). x32 (the x86_64 table
 * with bit 30 set) fails as on a kernel built without it (ENOSYS; SIGSYS with --tracer=ptrace); syscall -1, which is
 * how a tracer skips a call it answered itself, is let through; any other architecture kills the process.
 *
 * Exit status: 64 usage, 70 the filter could not be loaded, 127 PROGRAM could not be executed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define X32_SYSCALL_BIT 0x40000000u

/* The syscall numbers of one table. */
struct table {
    unsigned arch;
    unsigned io_uring_setup, io_uring_enter, io_uring_register, seccomp, ptrace, clone, clone3, prctl;
    int has_x32; /* the x86_64 table: numbers with X32_SYSCALL_BIT belong to x32 */
};

static const struct table tables[] = {
    {AUDIT_ARCH_X86_64, 425, 426, 427, 317, 101, 56, 435, 157, 1},
    {AUDIT_ARCH_I386, 425, 426, 427, 354, 26, 120, 435, 172, 0},
};

static struct sock_filter program[128];
static unsigned length;

static int emit(struct sock_filter instruction)
{
    if (length == sizeof program / sizeof program[0])
        return -1;
    program[length++] = instruction;
    return 0;
}

#define LOAD(field) emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field)))
#define RETURN(action) emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (action)))
/* Skip the next instruction unless the accumulator matches. */
#define IF_EQ(k) emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), 0, 1))
#define IF_GE(k) emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), 0, 1))
#define IF_ANY_BIT(k) emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (k), 0, 1))

/* The instructions for one table; every path ends in a RETURN. args[0] is read in its low 32 bits (little-endian),
 * where the kernel reads prctl's option (an int) and CLONE_UNTRACED. */
static int emit_table(const struct table *t, unsigned refusal, unsigned clone3, unsigned x32)
{
    int failed = 0;
    failed |= LOAD(nr);
    failed |= IF_EQ(0xffffffffu);
    failed |= RETURN(SECCOMP_RET_ALLOW);
    if (t->has_x32) {
        failed |= IF_GE(X32_SYSCALL_BIT);
        failed |= RETURN(x32);
    }
    const unsigned refused[] = {t->io_uring_setup, t->io_uring_enter, t->io_uring_register, t->seccomp, t->ptrace};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        failed |= IF_EQ(refused[i]);
        failed |= RETURN(refusal);
    }
    failed |= IF_EQ(t->clone3);
    failed |= RETURN(clone3);
    /* clone: when it matches, the next four instructions decide; otherwise jump over them. */
    failed |= emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, t->clone, 0, 4));
    failed |= LOAD(args[0]);
    failed |= IF_ANY_BIT(CLONE_UNTRACED);
    failed |= RETURN(SECCOMP_RET_TRAP);
    failed |= RETURN(SECCOMP_RET_ALLOW);
    failed |= emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, t->prctl, 0, 4));
    failed |= LOAD(args[0]);
    failed |= IF_EQ(PR_SET_SECCOMP);
    failed |= RETURN(SECCOMP_RET_TRAP);
    failed |= RETURN(SECCOMP_RET_ALLOW);
    failed |= RETURN(SECCOMP_RET_ALLOW);
    return failed;
}

static int build(unsigned refusal, unsigned clone3, unsigned x32)
{
    int failed = LOAD(arch);
    unsigned jumps[sizeof tables / sizeof tables[0]];
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        jumps[i] = length;
        failed |= emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, tables[i].arch, 0, 0));
    }
    failed |= RETURN(SECCOMP_RET_KILL_PROCESS);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        if (length - jumps[i] - 1 > 255)
            return -1;
        program[jumps[i]].jt = (unsigned char)(length - jumps[i] - 1);
        failed |= emit_table(&tables[i], refusal, clone3, x32);
    }
    return failed;
}

static int usage(void)
{
    fputs("usage: tasker-code-filter --tracer=seccomp-bpf|ptrace|none [--] PROGRAM [ARG...]\n", stderr);
    return 64;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    unsigned refusal, clone3, x32;
    if (strcmp(argv[1], "--tracer=seccomp-bpf") == 0) {
        refusal = clone3 = SECCOMP_RET_TRACE;
        x32 = SECCOMP_RET_ERRNO | ENOSYS;
    } else if (strcmp(argv[1], "--tracer=ptrace") == 0) {
        refusal = clone3 = SECCOMP_RET_ALLOW;
        x32 = SECCOMP_RET_TRAP;
    } else if (strcmp(argv[1], "--tracer=none") == 0) {
        refusal = SECCOMP_RET_ERRNO | EPERM;
        clone3 = x32 = SECCOMP_RET_ERRNO | ENOSYS;
    } else {
        return usage();
    }
    int first = strcmp(argv[2], "--") == 0 ? 3 : 2;
    if (first >= argc || argv[first][0] != '/')
        return usage();
    if (build(refusal, clone3, x32) != 0) {
        fputs("tasker-code-filter: the filter does not fit\n", stderr);
        return 70;
    }
    struct sock_fprog filter = {.len = (unsigned short)length, .filter = program};
    /* prctl, not seccomp(): strace refuses seccomp() for the code, and this runs under strace already. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0) {
        fprintf(stderr, "tasker-code-filter: loading the filter failed: %s\n", strerror(errno));
        return 70;
    }
    execv(argv[first], argv + first);
    fprintf(stderr, "tasker-code-filter: %s: %s\n", argv[first], strerror(errno));
    return 127;
}
