#!/bin/bash
# Forty-sixth session, the final build (omnimoe-i = 02f9b0d, the same code as run482's omnimoe-g): the
# token sweep of the README's sizes (issue 13's items 3-4 on the final kernels; h200-tokens-f16.json +
# svg), and a wide layer (H = 4096, I = 16384) at 17 tokens.
. .dev/preamble.sh 484 omnimoe-i
X=./omnimoe-i
bench warmup A=1 $X bench --tokens 32
bench h4096-i16384-t17 A=1 $X bench --tokens 17 --hidden 4096 --intermediate 16384
b sweep $X bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
summary
