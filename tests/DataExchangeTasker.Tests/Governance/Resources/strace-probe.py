import socket, subprocess, os
for name in ("a.csv", "b.csv"):
    with open("/tmp/data/" + name) as f:
        f.read()
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("1.1.1.1", 53))
except OSError as e:
    print("connect failed:", e)
try:
    os.open("/etc/shadow", os.O_RDONLY)
except OSError as e:
    print("shadow:", e)
with open("/tmp/out/result.txt", "w") as f:
    f.write("ok\n")
subprocess.run(["/bin/true"])
print("done")
