# Finds ELF images in the NVIDIA driver's shader disk cache (where the Vulkan driver keeps what it compiled
# of our SPIR-V) and writes each out, so cuobjdump / nvdisasm can show the machine code. Prints what it
# found, and the first bytes of files with none (to learn the format).
import os, struct, sys
root, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
n = 0
for dp, _, fs in os.walk(root):
    for f in fs:
        p = os.path.join(dp, f)
        data = open(p, "rb").read()
        offs = []
        i = data.find(b"\x7fELF")
        while i >= 0:
            offs.append(i)
            i = data.find(b"\x7fELF", i + 4)
        print(p, len(data), "ELF at", offs[:20], "(%d)" % len(offs))
        if not offs:
            print("  head:", data[:64].hex())
        for o in offs:
            h = data[o:o + 64]
            if len(h) < 64 or h[4] != 2:
                continue
            shoff = struct.unpack_from("<Q", h, 0x28)[0]
            shentsize, shnum = struct.unpack_from("<HH", h, 0x3A)
            end = o + shoff + shentsize * shnum
            if end > len(data) or shoff == 0:
                end = len(data)
            open(os.path.join(out, "k%03d.elf" % n), "wb").write(data[o:end])
            n += 1
print("wrote", n)
