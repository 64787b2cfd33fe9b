/* srp_device._native: the Python face of the engine. Everything here runs with the GIL
 * held except the exponentiations themselves, which release it. Numbers cross as
 * little-endian bytes: 384 for a group element, ceil(ebits/8) for an exponent. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "ct.h"
#include "engine.h"

static void limbs_from_le(uint64_t r[SRP_LIMBS], const unsigned char *p) {
    for (int i = 0; i < SRP_LIMBS; i++) {
        uint64_t v = 0;
        for (int j = 7; j >= 0; j--) v = (v << 8) | p[8 * i + j];
        r[i] = v;
    }
}

static void limbs_to_le(unsigned char *p, const uint64_t r[SRP_LIMBS]) {
    for (int i = 0; i < SRP_LIMBS; i++) {
        for (int j = 0; j < 8; j++) p[8 * i + j] = (unsigned char)(r[i] >> (8 * j));
    }
}

/* All ones if x < N, in constant time (x may be secret). */
static uint64_t below_n_mask(const uint64_t x[SRP_LIMBS]) {
    uint64_t borrow = 0;
    for (int i = 0; i < SRP_LIMBS; i++) {
        uint64_t d = x[i] - srp_N[i];
        uint64_t b1 = (uint64_t)(x[i] < srp_N[i]);
        uint64_t b2 = (uint64_t)(d < borrow);
        borrow = b1 | b2;
    }
    return ct_mask(borrow);
}

/* Kernels made ready in this process, with their comb tables: the CPU was asked once. */
static struct {
    const srp_kernel *kernel;
    const uint64_t *table;
} ready[8];

static const srp_kernel *ready_kernel(const char *name, const uint64_t **table) {
    for (size_t i = 0; i < 8 && ready[i].kernel != NULL; i++) {
        if (strcmp(ready[i].kernel->name, name) == 0) {
            if (table != NULL) *table = ready[i].table;
            return ready[i].kernel;
        }
    }
    const srp_kernel *k = srp_kernel_by_name(name);
    if (k == NULL) {
        PyErr_Format(PyExc_LookupError, "no kernel named %.40s in this build", name);
        return NULL;
    }
    if (!k->available()) {
        PyErr_Format(PyExc_LookupError, "kernel %s cannot run on this CPU", k->name);
        return NULL;
    }
    /* Under the GIL: init and the shared comb table are made once, then only read. */
    const uint64_t *t = srp_prepare(k);
    if (t == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (size_t i = 0; i < 8; i++) {
        if (ready[i].kernel == NULL) {
            ready[i].table = t;
            ready[i].kernel = k;
            break;
        }
    }
    if (table != NULL) *table = t;
    return k;
}

static int check_exponent(const Py_buffer *e, Py_ssize_t ebits) {
    if (ebits < 0 || ebits > SRP_MAX_EBITS) {
        PyErr_Format(PyExc_ValueError, "ebits must be 0..%d", SRP_MAX_EBITS);
        return -1;
    }
    if (e->len != (ebits + 7) / 8) {
        PyErr_SetString(PyExc_ValueError, "the exponent must be exactly ceil(ebits/8) bytes");
        return -1;
    }
    return 0;
}

static PyObject *result_bytes(const uint64_t out[SRP_LIMBS]) {
    unsigned char buf[SRP_BYTES];
    limbs_to_le(buf, out);
    PyObject *r = PyBytes_FromStringAndSize((const char *)buf, SRP_BYTES);
    srp_wipe(buf, sizeof buf);
    return r;
}

PyDoc_STRVAR(powg_doc, "powg(kernel, e, ebits) -> 2**e mod N, e as ceil(ebits/8) little-endian bytes.");

static PyObject *py_powg(PyObject *self, PyObject *args) {
    const char *name;
    Py_buffer e;
    Py_ssize_t ebits;
    const uint64_t *table = NULL;
    uint64_t out[SRP_LIMBS];
    int rc;
    (void)self;
    if (!PyArg_ParseTuple(args, "sy*n", &name, &e, &ebits)) return NULL;
    const srp_kernel *k = ready_kernel(name, &table);
    if (k == NULL || check_exponent(&e, ebits) < 0) {
        PyBuffer_Release(&e);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = srp_powg(k, table, out, (const uint8_t *)e.buf, (size_t)ebits);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&e);
    if (rc != 0) return PyErr_NoMemory();
    PyObject *r = result_bytes(out);
    srp_wipe(out, sizeof out);
    return r;
}

PyDoc_STRVAR(powb_doc, "powb(kernel, base, e, ebits) -> base**e mod N; base as 384 little-endian bytes, < N.");

static PyObject *py_powb(PyObject *self, PyObject *args) {
    const char *name;
    Py_buffer base, e;
    Py_ssize_t ebits;
    uint64_t b[SRP_LIMBS], out[SRP_LIMBS];
    int rc = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "sy*y*n", &name, &base, &e, &ebits)) return NULL;
    const srp_kernel *k = ready_kernel(name, NULL);
    if (k == NULL || check_exponent(&e, ebits) < 0) goto fail;
    if (base.len != SRP_BYTES) {
        PyErr_SetString(PyExc_ValueError, "the base must be exactly 384 bytes");
        goto fail;
    }
    limbs_from_le(b, (const unsigned char *)base.buf);
    if (!below_n_mask(b)) {
        PyErr_SetString(PyExc_ValueError, "the base must be reduced mod N");
        goto fail;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = srp_powb(k, out, b, (const uint8_t *)e.buf, (size_t)ebits);
    Py_END_ALLOW_THREADS
    srp_wipe(b, sizeof b);
    PyBuffer_Release(&base);
    PyBuffer_Release(&e);
    if (rc != 0) return PyErr_NoMemory();
    PyObject *r = result_bytes(out);
    srp_wipe(out, sizeof out);
    return r;
fail:
    srp_wipe(b, sizeof b);
    PyBuffer_Release(&base);
    PyBuffer_Release(&e);
    return NULL;
}

PyDoc_STRVAR(prepare_doc, "prepare(kernel) -> None: init the kernel and build its comb table now.");

static PyObject *py_prepare(PyObject *self, PyObject *args) {
    const char *name;
    (void)self;
    if (!PyArg_ParseTuple(args, "s", &name)) return NULL;
    if (ready_kernel(name, NULL) == NULL) return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(kernels_doc, "kernels() -> ((name, runs_here), ...) for the kernels in this build, best first.");

static PyObject *py_kernels(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    Py_ssize_t n = 0;
    while (srp_kernels[n] != NULL) n++;
    PyObject *t = PyTuple_New(n);
    if (t == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = Py_BuildValue("(sO)", srp_kernels[i]->name, srp_kernels[i]->available() ? Py_True : Py_False);
        if (item == NULL) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, item);
    }
    return t;
}

PyDoc_STRVAR(cpu_doc, "cpu() -> dict of the CPU features the dispatch reads.");

static PyObject *py_cpu(PyObject *self, PyObject *unused) {
    srp_cpu c;
    (void)self;
    (void)unused;
    srp_cpu_detect(&c);
    return Py_BuildValue("{sNsNsNsNsNsNsN}", "x86_64", PyBool_FromLong(c.x86_64), "bmi2", PyBool_FromLong(c.bmi2),
                         "adx", PyBool_FromLong(c.adx), "avx2", PyBool_FromLong(c.avx2), "avx512f", PyBool_FromLong(c.avx512f), "avx512ifma",
                         PyBool_FromLong(c.avx512ifma), "os_avx512", PyBool_FromLong(c.os_avx512));
}

static PyMethodDef methods[] = {
    {"powg", py_powg, METH_VARARGS, powg_doc},
    {"powb", py_powb, METH_VARARGS, powb_doc},
    {"prepare", py_prepare, METH_VARARGS, prepare_doc},
    {"kernels", py_kernels, METH_NOARGS, kernels_doc},
    {"cpu", py_cpu, METH_NOARGS, cpu_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "srp_device._native",
    "srp_device's constant-time modular exponentiation engine (C).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__native(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddIntConstant(m, "COMB_BITS", SRP_COMB_BITS) < 0 ||
        PyModule_AddIntConstant(m, "MAX_EBITS", SRP_MAX_EBITS) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
