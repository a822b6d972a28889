# Names and buffers chosen to confuse a parser of strace -y output: directory descriptors whose path holds a
# quote or a parenthesis (strace prints them unquoted inside <...>), and socket calls whose data spells a sockaddr.
import ctypes
import os
import socket
import sys

data = sys.argv[1] if len(sys.argv) > 1 else "/tmp/data"


def step(name):
    try:
        os.stat("/STEP/" + name)
    except OSError:
        pass


def read_and_close(fd):
    os.read(fd, 16)
    os.close(fd)


step("1-dir-fd-with-a-quote-then-an-absolute-data-path")
os.mkdir('/tmp/q"x')
quote_fd = os.open('/tmp/q"x', os.O_RDONLY | os.O_DIRECTORY)
read_and_close(os.open(data + "/k.csv", os.O_RDONLY, dir_fd=quote_fd))

step("2-dir-fd-with-a-parenthesis-then-an-absolute-data-path")
os.mkdir("/tmp/p), x")
paren_fd = os.open("/tmp/p), x", os.O_RDONLY | os.O_DIRECTORY)
read_and_close(os.open(data + "/a.csv", os.O_RDONLY, dir_fd=paren_fd))

step("3-sendto-whose-data-spells-a-unix-address")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b'{sa_family=AF_UNIX, sun_path="/x"}', ("1.1.1.1", 53))
except OSError as e:
    print("sendto:", e)
s.close()

step("4-sendmsg")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendmsg([b"hello"], [], 0, ("9.9.9.9", 53))
except OSError as e:
    print("sendmsg:", e)
s.close()

step("5-sendmmsg")
class SockaddrIn(ctypes.Structure):
    _fields_ = [("family", ctypes.c_ushort), ("port", ctypes.c_uint16), ("addr", ctypes.c_uint32), ("zero", ctypes.c_char * 8)]

class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

class Msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint), ("iov", ctypes.POINTER(Iovec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t), ("flags", ctypes.c_int)]

class Mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", Msghdr), ("len", ctypes.c_uint)]

libc = ctypes.CDLL(None, use_errno=True)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
address = SockaddrIn(socket.AF_INET, socket.htons(123), int.from_bytes(socket.inet_aton("8.8.4.4"), "little"))
payload = ctypes.create_string_buffer(b"ntp")
iov = Iovec(ctypes.cast(payload, ctypes.c_void_p), 3)
messages = (Mmsghdr * 1)(Mmsghdr(Msghdr(ctypes.cast(ctypes.pointer(address), ctypes.c_void_p), ctypes.sizeof(address), ctypes.pointer(iov), 1, None, 0, 0), 0))
print("sendmmsg:", libc.sendmmsg(s.fileno(), messages, 1, 0), ctypes.get_errno())
s.close()

step("6-abstract-unix-socket")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("\0abstract-name")
except OSError as e:
    print("abstract:", e)
s.close()

step("7-unix-socket-that-exists")
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind("/tmp/listening.sock")
server.listen(1)
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.connect("/tmp/listening.sock")
client.close()
server.close()

step("8-getaddrinfo-with-addrconfig-netlink")
try:
    socket.getaddrinfo("example.com", 80, flags=socket.AI_ADDRCONFIG)
except OSError as e:
    print("getaddrinfo:", e)

step("9-done")
