import os
name = bytes([0xff]) * 250
d = b"/tmp"
while len(d) + 251 < 4000:
    d = d + b"/" + name
    os.mkdir(d)
dirfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
p = b"/tmp"
while len(p) + 256 + 20 < 4090:
    p = p + b"/" + name[:250] + b"/.."
p = p + b"/data/a.csv"
print(len(d), len(p))
os.read(os.open(p, os.O_RDONLY, dir_fd=dirfd), 10)
