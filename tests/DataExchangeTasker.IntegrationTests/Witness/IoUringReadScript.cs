namespace DataExchangeTasker.IntegrationTests.Witness;

/// <summary>
/// A Python task (ctypes only) that opens and reads the file named by its first argument through io_uring
/// (IORING_OP_OPENAT, IORING_OP_READ): strace never sees that open. Prints "read through io_uring: ..." on success,
/// "io_uring_setup refused ..." when the sandbox refuses io_uring.
/// </summary>
internal static class IoUringReadScript
{
    public const string Python = """
        import ctypes, ctypes.util, mmap, os, struct, sys

        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        SYS_io_uring_setup, SYS_io_uring_enter = 425, 426
        IORING_OFF_SQ_RING, IORING_OFF_CQ_RING, IORING_OFF_SQES = 0, 0x8000000, 0x10000000
        IORING_OP_OPENAT, IORING_OP_READ = 18, 22
        IORING_ENTER_GETEVENTS = 1
        AT_FDCWD = -100

        class SqOff(ctypes.Structure):
            _fields_ = [(n, ctypes.c_uint32) for n in ("head", "tail", "ring_mask", "ring_entries", "flags", "dropped", "array", "resv1")] + [("user_addr", ctypes.c_uint64)]
        class CqOff(ctypes.Structure):
            _fields_ = [(n, ctypes.c_uint32) for n in ("head", "tail", "ring_mask", "ring_entries", "overflow", "cqes", "flags", "resv1")] + [("user_addr", ctypes.c_uint64)]
        class Params(ctypes.Structure):
            _fields_ = [("sq_entries", ctypes.c_uint32), ("cq_entries", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                        ("sq_thread_cpu", ctypes.c_uint32), ("sq_thread_idle", ctypes.c_uint32), ("features", ctypes.c_uint32),
                        ("wq_fd", ctypes.c_uint32), ("resv", ctypes.c_uint32 * 3), ("sq_off", SqOff), ("cq_off", CqOff)]

        p = Params()
        ring = libc.syscall(SYS_io_uring_setup, 4, ctypes.byref(p))
        if ring < 0:
            err = ctypes.get_errno()
            print("io_uring_setup refused", os.strerror(err), flush=True)
            sys.exit(0)
        sq = mmap.mmap(ring, p.sq_off.array + p.sq_entries * 4, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=IORING_OFF_SQ_RING)
        cq = mmap.mmap(ring, p.cq_off.cqes + p.cq_entries * 16, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=IORING_OFF_CQ_RING)
        sqes = mmap.mmap(ring, p.sq_entries * 64, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=IORING_OFF_SQES)

        def submit(opcode, fd, addr, length, off=0, flags=0):
            tail = struct.unpack_from("I", sq, p.sq_off.tail)[0]
            index = tail & struct.unpack_from("I", sq, p.sq_off.ring_mask)[0]
            sqe = bytearray(64)
            struct.pack_into("BBHiQQIIQ", sqe, 0, opcode, 0, 0, fd, off, addr, length, flags, 7)
            sqes[index * 64:(index + 1) * 64] = bytes(sqe)
            struct.pack_into("I", sq, p.sq_off.array + index * 4, index)
            struct.pack_into("I", sq, p.sq_off.tail, tail + 1)
            if libc.syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, None, 0) < 0:
                raise OSError(ctypes.get_errno(), "io_uring_enter")
            head = struct.unpack_from("I", cq, p.cq_off.head)[0]
            index = head & struct.unpack_from("I", cq, p.cq_off.ring_mask)[0]
            _, res, _ = struct.unpack_from("QiI", cq, p.cq_off.cqes + index * 16)
            struct.pack_into("I", cq, p.cq_off.head, head + 1)
            return res

        path = ctypes.create_string_buffer(sys.argv[1].encode())
        fd = submit(IORING_OP_OPENAT, AT_FDCWD, ctypes.addressof(path), 0, 0, os.O_RDONLY)
        if fd < 0:
            print("uring open failed", os.strerror(-fd), flush=True); sys.exit(0)
        buf = ctypes.create_string_buffer(256)
        n = submit(IORING_OP_READ, fd, ctypes.addressof(buf), 256)
        print("read through io_uring:", buf.raw[:n].decode(), flush=True)
        """;
}
