#!/usr/bin/env python3
"""Minimal SPIR-V walker: report (memory model, capabilities, barrier semantics, memory operands) or
patch a module to the GLSL450 memory model (drop the VulkanMemoryModel capability)."""
import struct, sys, collections

def words(path):
    b = open(path, 'rb').read()
    return list(struct.unpack('<%dI' % (len(b) // 4), b))

def insts(w):
    i = 5
    while i < len(w):
        n = w[i] >> 16; op = w[i] & 0xffff
        yield i, op, w[i:i + n]
        i += n

def report(path):
    w = words(path)
    consts = {}
    caps = []; mm = None
    bar = collections.Counter(); mem = collections.Counter()
    for i, op, ins in insts(w):
        if op == 43 and len(ins) == 4: consts[ins[2]] = ins[3]
        if op == 17: caps.append(ins[1])
        if op == 14: mm = ins[2]
        if op == 224: bar[('control', consts.get(ins[1]), consts.get(ins[2]), hex(consts.get(ins[3], -1)))] += 1
        if op == 225: bar[('memory', consts.get(ins[1]), hex(consts.get(ins[2], -1)))] += 1
        if op == 61 and len(ins) > 4: mem[('load', hex(ins[4]))] += 1
        if op == 62 and len(ins) > 3: mem[('store', hex(ins[3]))] += 1
        if op == 4457: mem[('coopload', len(ins), hex(ins[6]) if len(ins) > 6 else None)] += 1
        if op == 4458: mem[('coopstore', len(ins), hex(ins[5]) if len(ins) > 5 else None)] += 1
    print(path, 'memory model', mm, 'caps', caps)
    for k, v in sorted(bar.items(), key=str): print('  ', k, v)
    for k, v in sorted(mem.items(), key=str): print('  ', k, v)

def patch(src, dst):
    w = words(src)
    out = w[:5]
    for i, op, ins in insts(w):
        if op == 17 and ins[1] == 5345:  # OpCapability VulkanMemoryModel
            continue
        if op == 14:
            ins = [ins[0], ins[1], 1]  # GLSL450
        out.extend(ins)
    open(dst, 'wb').write(struct.pack('<%dI' % len(out), *out))

if __name__ == '__main__' and sys.argv[1] in ('report', 'glsl450'):
    if sys.argv[1] == 'report':
        for p in sys.argv[2:]: report(p)
    else:
        patch(sys.argv[2], sys.argv[3])

def loops(src, dst, mode):
    """mode 'unroll': LoopControl Unroll on every loop but the entry point's first; 'none': no hints."""
    w = words(src)
    entry = None
    for i, op, ins in insts(w):
        if op == 15: entry = ins[2]; break
    out = w[:5]
    in_entry = False; seen = 0
    for i, op, ins in insts(w):
        ins = list(ins)
        if op == 54: in_entry = (ins[2] == entry); seen = 0
        if op == 246:  # OpLoopMerge merge continue control [params]
            if mode == 'none':
                ins = [ (4 << 16) | 246, ins[1], ins[2], 0 ]
            elif mode == 'unroll':
                first = in_entry and seen == 0
                if in_entry: seen += 1
                ins = [ (4 << 16) | 246, ins[1], ins[2], 0 if first else 1 ]
        out.extend(ins)
    open(dst, 'wb').write(struct.pack('<%dI' % len(out), *out))

if __name__ == '__main__' and sys.argv[1] in ('unroll', 'none'):
    loops(sys.argv[2], sys.argv[3], sys.argv[1])
