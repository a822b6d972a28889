# Opens data files the ways issue 19 row 4 lists (and a few more), so the trace shows how strace -y prints each.
# Every step first stats a marker path ("/STEP/<name>", ENOENT) so the trace reads as a list of steps.
import ctypes
import mmap
import os
import socket
import subprocess
import sys

data = sys.argv[1] if len(sys.argv) > 1 else "/tmp/data"
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def step(name):
    try:
        os.stat("/STEP/" + name)
    except OSError:
        pass


def read_and_close(fd):
    os.read(fd, 16)
    os.close(fd)


step("1-proc-self-root")
read_and_close(os.open("/proc/self/root" + data + "/a.csv", os.O_RDONLY))

step("2-proc-self-fd-of-a-dir-fd")
dir_fd = os.open(data, os.O_RDONLY | os.O_DIRECTORY)
read_and_close(os.open(f"/proc/self/fd/{dir_fd}/b.csv", os.O_RDONLY))

step("3-symlink-in-tmp")
os.symlink(data + "/c.csv", "/tmp/link-to-c")
read_and_close(os.open("/tmp/link-to-c", os.O_RDONLY))

step("4-dir-fd")
read_and_close(os.open("d.csv", os.O_RDONLY, dir_fd=dir_fd))

step("5-relative-after-chdir")
os.chdir(data)
read_and_close(os.open("e.csv", os.O_RDONLY))
os.chdir("/tmp")

step("6-rdonly-creat-existing")
read_and_close(os.open(data + "/f.csv", os.O_RDONLY | os.O_CREAT, 0o644))

step("6b-append-existing")
read_and_close(os.open(data + "/m.csv", os.O_RDONLY | os.O_APPEND))

step("6c-wronly-on-read-only-mount")
try:
    os.open(data + "/n.csv", os.O_WRONLY)
except OSError as e:
    print("wronly:", e)


class OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


step("7-openat2-relative-to-dir-fd")
how = OpenHow(os.O_RDONLY, 0, 0)
fd = libc.syscall(437, dir_fd, b"g.csv", ctypes.byref(how), ctypes.sizeof(how))
print("openat2:", fd, ctypes.get_errno())
if fd >= 0:
    read_and_close(fd)

step("8-open-by-handle-at")
class FileHandle(ctypes.Structure):
    _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int), ("f_handle", ctypes.c_ubyte * 128)]

handle = FileHandle(128, 0)
mount_id = ctypes.c_int(0)
rc = libc.syscall(303, -100, (data + "/h.csv").encode(), ctypes.byref(handle), ctypes.byref(mount_id), 0)
print("name_to_handle_at:", rc, ctypes.get_errno())
if rc == 0:
    fd = libc.syscall(304, dir_fd, ctypes.byref(handle), os.O_RDONLY)
    print("open_by_handle_at:", fd, ctypes.get_errno())
    if fd >= 0:
        read_and_close(fd)

step("9-execve-of-a-data-program")
subprocess.run([data + "/prog"])
subprocess.run([data + "/script.sh"])

step("9b-execveat-of-a-data-fd")
prog_fd = os.open(data + "/prog", os.O_RDONLY)
pid = os.fork()
if pid == 0:
    os.execve(prog_fd, ["prog"], {})
os.waitpid(pid, 0)
os.close(prog_fd)

step("9c-execve-relative-after-chdir")
os.chdir(data)
subprocess.run(["./prog"])
os.chdir("/tmp")

step("10-i386-int-0x80-open")
# mov eax,5 (open); mov ebx,<path>; xor ecx,ecx (O_RDONLY); int 0x80; ret -- path and code below 4 GiB (MAP_32BIT).
MAP_32BIT = 0x40
buf = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_32BIT,
                prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
address = ctypes.addressof(ctypes.c_char.from_buffer(buf))
path = (data + "/i.csv").encode() + b"\0"
buf[2048:2048 + len(path)] = path
code = b"\xb8\x05\x00\x00\x00" + b"\xbb" + (address + 2048).to_bytes(4, "little") + b"\x31\xc9" + b"\xcd\x80" + b"\xc3"
buf[0:len(code)] = code
fd = ctypes.CFUNCTYPE(ctypes.c_int)(address)()
print("int 0x80 open:", fd)
if fd >= 0:
    read_and_close(fd)

step("11-hostile-names")
for name in ["with space.csv", 'quote"s.csv', "gt>name.csv", "lt<name.csv", "café.csv"]:
    read_and_close(os.open(data + "/" + name, os.O_RDONLY))
read_and_close(os.open(data.encode() + b"/bad\xff\xfe.csv", os.O_RDONLY))
# Files in /tmp whose names spell a data path after "<" or ">", or a whole fake trace line after a newline.
for fake in ["/tmp/x>/tmp/data/j.csv", "/tmp/y</tmp/data/j.csv>", "/tmp/z> = 3</tmp/data/j.csv>",
             "/tmp/nl\n10    openat(AT_FDCWD, \"/tmp/data/j.csv\", O_RDONLY) = 3</tmp/data/j.csv>"]:
    os.makedirs(os.path.dirname(fake), exist_ok=True)
    with open(fake, "w") as f:
        f.write("decoy")
    read_and_close(os.open(fake, os.O_RDONLY))
read_and_close(os.open("/tmp/data-not-data", os.O_RDONLY | os.O_CREAT, 0o600))

step("12-folder-listing")
os.listdir(data + "/sub")

step("13-sockets")
for family, kind, address in [(socket.AF_INET, socket.SOCK_DGRAM, ("1.1.1.1", 53)),
                              (socket.AF_INET6, socket.SOCK_STREAM, ("2606:4700::1111", 443, 0, 0)),
                              (socket.AF_UNIX, socket.SOCK_STREAM, "/tmp/no-such-socket")]:
    s = socket.socket(family, kind)
    try:
        s.connect(address)
    except OSError as e:
        print("connect:", e)
    s.close()
try:
    socket.getaddrinfo("example.com", 80)
except OSError as e:
    print("getaddrinfo:", e)
import pwd
try:
    pwd.getpwnam("nobody-else")
except KeyError:
    pass

step("14-done")
