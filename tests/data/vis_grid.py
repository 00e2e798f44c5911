#!/usr/bin/python3
"""Developer-only: tiles the `images` of a safetensors file (what `cx visualize --out DIR` writes
as images.safetensors, values 0..1) into one PNG, 8 a row, each scaled up SCALE times
(nearest neighbour). Made the README's feature visualisation figures:

    /usr/bin/python3 tests/data/vis_grid.py DIR/images.safetensors OUT.png [SCALE]
"""
import sys, zlib, struct, torch
import torch.nn.functional as F
sys.path.insert(0,'/work/main/tests/data')
from safetensors_io import read_safetensors
t=read_safetensors(sys.argv[1])
x=t['images'] if isinstance(t,dict) else t[0]['images']
scale=int(sys.argv[3]) if len(sys.argv)>3 else 2
x=F.interpolate(x,scale_factor=scale,mode='nearest')
s=x.shape[-1]; n=x.shape[0]; cols=min(8,n); rows=(n+cols-1)//cols
grid=torch.ones(3, rows*(s+2), cols*(s+2))
for i in range(n):
    r,c=i//cols,i%cols; grid[:, r*(s+2):r*(s+2)+s, c*(s+2):c*(s+2)+s]=x[i]
a=(grid.clamp(0,1)*255).round().byte().permute(1,2,0).contiguous().numpy()
h,w,_=a.shape
raw=b''.join(b'\x00'+a[y].tobytes() for y in range(h))
def chunk(t,d): return struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d)&0xffffffff)
open(sys.argv[2],'wb').write(b'\x89PNG\r\n\x1a\n'+chunk(b'IHDR',struct.pack('>IIBBBBB',w,h,8,2,0,0,0))+chunk(b'IDAT',zlib.compress(raw))+chunk(b'IEND',b''))
print(x.shape)
