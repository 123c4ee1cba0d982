// Times a Faust-generated stereo effect (ZITA_CPP, class Zita) the way the pedalboard half of the
// hosted bench times its references: 48 kHz, 512-frame buffers, 30 s of stereo noise at
// -12 dBFS, the fastest of 3 runs after a warm-up run. Prints microseconds per stereo frame.
#include <faust/dsp/dsp.h>
#include <faust/gui/UI.h>
#include <faust/gui/meta.h>
#define RESTRICT __restrict__
#include ZITA_CPP

#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

int main() {
    const int rate = 48000, block = 512, frames = 30 * rate;
    std::vector<float> in[2], out[2];
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> noise(-0.25f, 0.25f);
    for (int ch = 0; ch < 2; ch++) {
        in[ch].resize(frames);
        out[ch].resize(frames);
        for (float& x : in[ch]) x = noise(rng);
    }
    double best = 1e30;
    for (int run = 0; run < 4; run++) {
        Zita reverb;
        reverb.init(rate);
        auto start = std::chrono::steady_clock::now();
        for (int pos = 0; pos + block <= frames; pos += block) {
            float* inputs[2] = {&in[0][pos], &in[1][pos]};
            float* outputs[2] = {&out[0][pos], &out[1][pos]};
            reverb.compute(block, inputs, outputs);
        }
        double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / frames;
        if (run > 0 && us < best) best = us;
    }
    std::printf("%.4f\n", best);
}
