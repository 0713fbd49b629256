/**
 * Scheduler checks against values derived from diffusers' formulas.
 *
 * Where the numbers come from:
 * - "contracts": ../shared/docs/model-contracts.md (DDIM leading 20 steps →
 *   [951 … 1]; DDIM step x = 1, ε = 0.5, t 981 → 961 = 1.0612257).
 * - "diffusers docs": LCM 4 steps → [999, 759, 499, 259] (the LCM model cards and
 *   diffusers' LCM docs print it).
 * - "f64": recomputed here in float64 from the formulas in diffusers'
 *   scheduling_*.py (betas = linspace(√β₀, √β₁, 1000)², ᾱ = cumprod(1 − β),
 *   σ = √((1 − ᾱ)/ᾱ), np.interp, Karras ρ = 7 …). The implementation
 *   emulates diffusers' float32 tensors, so those agree to float32 precision
 *   (relative 1e-5 covers the float32 cumprod's accumulated rounding).
 */
import { createScheduler, describeSchedule } from './scheduler.factory';
import { resolveSchedulerConfig, schedulerNameForClass } from './scheduler-config';
import { guidanceScaleEmbedding } from './guidance-embedding';
import { SCHEDULER_NAMES } from './scheduler.types';
import type { SchedulerName } from './scheduler.types';

/** SD-1.5 inpainting's scheduler/scheduler_config.json. */
const SD15 = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
};

/** float64 reference of the SD noise schedule. */
function ref64() {
  const n = 1000;
  const a = Math.sqrt(0.00085);
  const b = Math.sqrt(0.012);
  const ac: number[] = [];
  let acc = 1;
  for (let i = 0; i < n; i++) {
    const beta = (a + ((b - a) * i) / (n - 1)) ** 2;
    acc *= 1 - beta;
    ac.push(acc);
  }
  const sigma = ac.map((x) => Math.sqrt((1 - x) / x));
  const interp = (t: number): number => {
    const j = Math.min(Math.floor(t), n - 2);
    return sigma[j] + (sigma[j + 1] - sigma[j]) * (t - j);
  };
  return { ac, sigma, interp };
}
const R = ref64();

function expectClose(actual: readonly number[], expected: readonly number[], rel = 1e-5, abs = 1e-6): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => {
    const tol = Math.max(abs, rel * Math.abs(expected[i]));
    if (Math.abs(v - expected[i]) > tol)
      throw new Error(`index ${i}: ${v} vs ${expected[i]} (tolerance ${tol})`);
  });
}

const full = (v: number, n = 4): Float32Array => new Float32Array(n).fill(v);

describe('scheduler config (diffusers from_config semantics)', () => {
  it('takes keys from the file and the class defaults for the rest', () => {
    const ddim = resolveSchedulerConfig('ddim', SD15);
    expect(ddim).toMatchObject({
      _class_name: 'DDIMScheduler',
      beta_schedule: 'scaled_linear',
      steps_offset: 1,
      set_alpha_to_one: false,
      clip_sample: false,
      timestep_spacing: 'leading',
    });
    expect(resolveSchedulerConfig('euler', SD15).timestep_spacing).toBe('linspace');
    expect(resolveSchedulerConfig('dpmpp_2m', SD15)).toMatchObject({
      timestep_spacing: 'linspace',
      algorithm_type: 'dpmsolver++',
      use_karras_sigmas: false,
    });
    expect(resolveSchedulerConfig('dpmpp_2m_karras', SD15).use_karras_sigmas).toBe(true);
    expect(resolveSchedulerConfig('pndm', { ...SD15, skip_prk_steps: false }).skip_prk_steps).toBe(true);
  });

  it('uses each class default when the file is empty', () => {
    expect(resolveSchedulerConfig('ddim', {})).toMatchObject({
      beta_schedule: 'linear',
      clip_sample: true,
      set_alpha_to_one: true,
      steps_offset: 0,
    });
    expect(resolveSchedulerConfig('lcm', {})).toMatchObject({
      beta_schedule: 'scaled_linear',
      beta_start: 0.00085,
      set_alpha_to_one: true,
      original_inference_steps: 50,
    });
  });

  it('names the bad key and refuses options it does not implement', () => {
    expect(() => resolveSchedulerConfig('ddim', { beta_schedule: 'cubic' })).toThrow(/beta_schedule/);
    expect(() => resolveSchedulerConfig('euler', { use_exponential_sigmas: true })).toThrow(
      /use_exponential_sigmas/,
    );
    // A key the chosen class does not have is ignored, as diffusers does.
    expect(() => resolveSchedulerConfig('ddim', { use_exponential_sigmas: true })).not.toThrow();
  });

  it('maps the config class to the default scheduler', () => {
    expect(schedulerNameForClass('PNDMScheduler')).toBe('pndm');
    expect(schedulerNameForClass('DPMSolverMultistepScheduler', { use_karras_sigmas: true })).toBe(
      'dpmpp_2m_karras',
    );
    expect(schedulerNameForClass('UniPCMultistepScheduler')).toBeUndefined();
  });
});

describe('noise schedule', () => {
  it('matches the float64 ᾱ and σ to float32 precision', () => {
    const s = createScheduler('euler', SD15);
    s.setTimesteps(1000);
    // σ at every training step (timesteps 999 … 0 hit the table exactly).
    expectClose(s.sigmas!.slice(0, -1), [...R.sigma].reverse(), 2e-6);
  });
});

describe('DDIM', () => {
  it('leading, 20 steps → [951, 901, …, 51, 1] (contracts)', () => {
    const s = createScheduler('ddim', SD15);
    s.setTimesteps(20);
    expect(s.timesteps).toEqual(Array.from({ length: 20 }, (_, k) => 951 - 50 * k));
    expect(s.initNoiseSigma).toBe(1);
    expect(s.sigmas).toBeNull();
  });

  it('linspace and trailing spacings', () => {
    const lin = createScheduler('ddim', { ...SD15, timestep_spacing: 'linspace' });
    lin.setTimesteps(10);
    expect(lin.timesteps).toEqual([999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
    const tr = createScheduler('ddim', { ...SD15, timestep_spacing: 'trailing' });
    tr.setTimesteps(10);
    expect(tr.timesteps).toEqual([999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
    // 3 steps, trailing: arange(1000, 0, −333.3…).round() − 1
    tr.setTimesteps(3);
    expect(tr.timesteps).toEqual([999, 666, 332]);
  });

  it('one step x = 1, ε = 0.5 from t = 981 to 961 gives 1.0612257 (contracts)', () => {
    const s = createScheduler('ddim', SD15);
    s.setTimesteps(50);
    expect(s.timesteps.slice(0, 2)).toEqual([981, 961]);
    const { prevSample } = s.step(full(0.5), 0, full(1));
    expect(prevSample[0]).toBeCloseTo(1.0612257, 6);
  });

  it('v-prediction and the final step to ᾱ_0 (f64)', () => {
    const s = createScheduler('ddim', { ...SD15, prediction_type: 'v_prediction' });
    s.setTimesteps(20);
    const i = 19; // t = 1 → prev −49 → final ᾱ = ᾱ_0 (set_alpha_to_one false)
    const a = R.ac[1];
    const ap = R.ac[0];
    const x = 0.3;
    const v = -0.2;
    const x0 = Math.sqrt(a) * x - Math.sqrt(1 - a) * v;
    const eps = Math.sqrt(a) * v + Math.sqrt(1 - a) * x;
    const expected = Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps;
    expect(s.step(full(v), i, full(x)).prevSample[0]).toBeCloseTo(expected, 6);
  });
});

describe('PNDM (PLMS)', () => {
  it('repeats the second timestep: 20 steps take 21 model calls', () => {
    const s = createScheduler('pndm', SD15);
    s.setTimesteps(20);
    expect(s.timesteps).toEqual([951, 901, 901, ...Array.from({ length: 18 }, (_, k) => 851 - 50 * k)]);
    expect(s.numModelCalls).toBe(21);
  });

  it('first steps follow formula (9) with the Heun start (f64)', () => {
    const s = createScheduler('pndm', SD15);
    s.setTimesteps(20);
    // PNDM formula (9): x' = √(ā'/ā)·x − (ā' − ā)·ε / (ā·√(1−ā') + √(ā(1−ā)ā')).
    const prev = (x: number, eps: number, t: number, tp: number): number => {
      const a = R.ac[t];
      const ap = R.ac[tp];
      return Math.sqrt(ap / a) * x - ((ap - a) * eps) / (a * Math.sqrt(1 - ap) + Math.sqrt(a * (1 - a) * ap));
    };
    const x0 = 1;
    const x1 = s.step(full(0.5), 0, full(x0)).prevSample[0];
    expect(x1).toBeCloseTo(prev(x0, 0.5, 951, 901), 5);
    // The repeated 901: restarts from x0 at 951 with the mean of both ε.
    const x2 = s.step(full(0.3), 1, full(x1)).prevSample[0];
    expect(x2).toBeCloseTo(prev(x0, 0.4, 951, 901), 5);
    // Then the two-step Adams–Bashforth ε = (3·e₁ − e₀)/2 with e₀ = 0.5, e₁ = 0.2.
    const x3 = s.step(full(0.2), 2, full(x2)).prevSample[0];
    expect(x3).toBeCloseTo(prev(x2, (3 * 0.2 - 0.5) / 2, 901, 851), 5);
  });
});

describe('Euler', () => {
  it('linspace, 20 steps: timesteps and σ (f64)', () => {
    const sum = describeSchedule('euler', 20, SD15);
    const ts = Array.from({ length: 20 }, (_, k) => (999 * (19 - k)) / 19);
    expectClose(sum.timesteps, ts, 1e-6);
    expectClose(sum.sigmas!, [...ts.map(R.interp), 0]);
    expect(sum.initNoiseSigma).toBeCloseTo(14.6146, 4);
  });

  it('leading spacing scales the initial noise by √(σ_max² + 1)', () => {
    const s = createScheduler('euler', { ...SD15, timestep_spacing: 'leading' });
    s.setTimesteps(20);
    expect(s.timesteps[0]).toBe(951);
    expect(s.initNoiseSigma).toBeCloseTo(Math.sqrt(R.sigma[951] ** 2 + 1), 4);
  });

  it('one step: x + ε·(σ₁ − σ₀), input scaled by 1/√(σ²+1) (f64)', () => {
    const s = createScheduler('euler', SD15);
    s.setTimesteps(20);
    const s0 = R.interp(999);
    const s1 = R.interp((999 * 18) / 19);
    const out = new Float32Array(4);
    s.scaleModelInput(full(2), 0, out);
    expect(out[0]).toBeCloseTo(2 / Math.sqrt(s0 * s0 + 1), 6);
    const r = s.step(full(0.5), 0, full(2));
    expect(r.prevSample[0]).toBeCloseTo(2 + 0.5 * (s1 - s0), 4);
    expect(r.denoised![0]).toBeCloseTo(2 - s0 * 0.5, 4);
  });

  it('Karras σ: ρ = 7 between σ_min and σ_max, timesteps at those σ (f64)', () => {
    const sum = describeSchedule('euler', 10, { ...SD15, use_karras_sigmas: true });
    const smin = R.sigma[0];
    const smax = R.sigma[999];
    const karras = Array.from(
      { length: 10 },
      (_, k) => (smax ** (1 / 7) + (k / 9) * (smin ** (1 / 7) - smax ** (1 / 7))) ** 7,
    );
    expectClose(sum.sigmas!, [...karras, 0]);
    expect(sum.timesteps[0]).toBeCloseTo(999, 3);
    expect(sum.timesteps[9]).toBeCloseTo(0, 3);
    // A middle one: σ(t) = karras[4] between two table entries, interpolated in log σ.
    const t4 = sum.timesteps[4];
    const j = Math.floor(t4);
    const w =
      (Math.log(R.sigma[j]) - Math.log(karras[4])) / (Math.log(R.sigma[j]) - Math.log(R.sigma[j + 1]));
    // float32 σ table vs float64 here: the interpolation weight is sensitive (log σ steps are ~0.005 apart).
    expect(t4).toBeCloseTo(j + w, 2);
  });
});

describe('Euler ancestral', () => {
  it('same σ as Euler; a step adds σ_up of the given noise (f64)', () => {
    const s = createScheduler('euler_a', SD15);
    s.setTimesteps(20);
    expect(s.sigmas).toEqual(describeSchedule('euler', 20, SD15).sigmas);
    const from = s.sigmas![3];
    const to = s.sigmas![4];
    const up = Math.sqrt((to * to * (from * from - to * to)) / (from * from));
    const down = Math.sqrt(to * to - up * up);
    const x = 1.5;
    const eps = 0.25;
    const z = -0.7;
    expect(s.needsNoise(3)).toBe(true);
    expect(() => s.step(full(eps), 3, full(x))).toThrow(/noise/);
    const r = s.step(full(eps), 3, full(x), full(z));
    expect(r.prevSample[0]).toBeCloseTo(x + eps * (down - from) + z * up, 4);
    // The last step goes to σ = 0: no noise.
    expect(s.needsNoise(19)).toBe(false);
  });
});

describe('DPM++ 2M', () => {
  it('linspace, 20 steps: round(linspace(0, 999, 21))[::-1][:-1] and σ at them (f64)', () => {
    const sum = describeSchedule('dpmpp_2m', 20, SD15);
    const ts = Array.from({ length: 21 }, (_, k) => (999 * k) / 20)
      .map((t) => (Math.abs((t % 1) - 0.5) < 1e-9 ? 2 * Math.round(t / 2) : Math.round(t)))
      .reverse()
      .slice(0, -1);
    expect(sum.timesteps).toEqual(ts);
    expect(sum.timesteps[10]).toBe(500); // 499.5 rounds half to even
    expectClose(sum.sigmas!, [...ts.map((t) => R.sigma[t]), 0]);
    expect(sum.initNoiseSigma).toBe(1);
  });

  it('Karras, 20 steps: the timesteps diffusers prints', () => {
    const sum = describeSchedule('dpmpp_2m_karras', 20, SD15);
    expect(sum.timesteps).toEqual([
      999, 962, 921, 876, 827, 772, 710, 640, 561, 474, 380, 285, 197, 123, 69, 35, 15, 6, 2, 0,
    ]);
    expect(sum.sigmas![0]).toBeCloseTo(R.sigma[999], 4);
    expect(sum.sigmas![19]).toBeCloseTo(R.sigma[0], 6);
    expect(sum.sigmas![20]).toBe(0);
  });

  it('first order then second order (midpoint) steps (f64)', () => {
    const s = createScheduler('dpmpp_2m', SD15);
    s.setTimesteps(20);
    const sg = s.sigmas!;
    const al = (sig: number): number => 1 / Math.sqrt(sig * sig + 1);
    const lam = (sig: number): number => Math.log(al(sig)) - Math.log(sig * al(sig));
    const x0Of = (x: number, eps: number, sig: number): number => (x - sig * al(sig) * eps) / al(sig);
    // Step 0: first order.
    const x = 1.2;
    const m0 = x0Of(x, 0.4, sg[0]);
    const h0 = lam(sg[1]) - lam(sg[0]);
    const x1 = ((sg[1] * al(sg[1])) / (sg[0] * al(sg[0]))) * x - al(sg[1]) * (Math.exp(-h0) - 1) * m0;
    const got1 = s.step(full(0.4), 0, full(x)).prevSample[0];
    expect(got1).toBeCloseTo(x1, 4);
    // Step 1: second order with D1 = (m1 − m0)/r.
    const m1 = x0Of(got1, 0.1, sg[1]);
    const h = lam(sg[2]) - lam(sg[1]);
    const r = (lam(sg[1]) - lam(sg[0])) / h;
    const c = al(sg[2]) * (Math.exp(-h) - 1);
    const x2 = ((sg[2] * al(sg[2])) / (sg[1] * al(sg[1]))) * got1 - c * m1 - 0.5 * c * ((m1 - m0) / r);
    expect(s.step(full(0.1), 1, full(got1)).prevSample[0]).toBeCloseTo(x2, 4);
  });

  it('the last step (σ → 0) returns x̂₀ exactly', () => {
    const s = createScheduler('dpmpp_2m', SD15);
    s.setTimesteps(5);
    let x = full(0.8);
    for (let i = 0; i < 4; i++) x = s.step(full(0.1), i, x).prevSample;
    const r = s.step(full(0.1), 4, x);
    expect(Array.from(r.prevSample)).toEqual(Array.from(r.denoised!));
  });
});

describe('LCM', () => {
  it('4 steps → [999, 759, 499, 259] (diffusers docs); 1 step → [999]', () => {
    expect(describeSchedule('lcm', 4, SD15).timesteps).toEqual([999, 759, 499, 259]);
    expect(describeSchedule('lcm', 1, SD15).timesteps).toEqual([999]);
    expect(() => describeSchedule('lcm', 51, SD15)).toThrow(/steps/);
  });

  it('a step: consistency boundary then re-noise to the next timestep (f64)', () => {
    const s = createScheduler('lcm', SD15);
    s.setTimesteps(4);
    const a = R.ac[999];
    const ap = R.ac[759];
    const x = 0.9;
    const eps = 0.3;
    const z = 0.5;
    const st = 9990;
    const cSkip = 0.25 / (st * st + 0.25);
    const cOut = st / Math.sqrt(st * st + 0.25);
    const x0 = (x - Math.sqrt(1 - a) * eps) / Math.sqrt(a);
    const denoised = cOut * x0 + cSkip * x;
    const r = s.step(full(eps), 0, full(x), full(z));
    expect(r.denoised![0]).toBeCloseTo(denoised, 4);
    expect(r.prevSample[0]).toBeCloseTo(Math.sqrt(ap) * denoised + Math.sqrt(1 - ap) * z, 4);
    expect(s.needsNoise(3)).toBe(false);
  });

  it('guidance embedding: sin/cos of 1000·w at VDM frequencies', () => {
    const e = guidanceScaleEmbedding(7.5 - 1, 8);
    const f = (k: number): number => Math.exp((-k * Math.log(10000)) / 3);
    for (let k = 0; k < 4; k++) {
      expect(e[k]).toBeCloseTo(Math.sin(6500 * f(k)), 2);
      expect(e[4 + k]).toBeCloseTo(Math.cos(6500 * f(k)), 2);
    }
    expect(guidanceScaleEmbedding(0, 5)[4]).toBe(0); // odd size: zero padding
  });
});

describe('every scheduler', () => {
  /**
   * With data concentrated at c, the exact ε-prediction is (x_vp − √ᾱ·c)/√(1 − ᾱ),
   * x_vp being the scaled model input; every deterministic sampler must land on
   * c (set_alpha_to_one so the ᾱ schedulers end at ᾱ = 1 rather than ᾱ_0).
   */
  it.each(SCHEDULER_NAMES.filter((n) => n !== 'euler_a' && n !== 'lcm'))(
    '%s denoises a point mass to the point',
    (name: SchedulerName) => {
      const c = 0.37;
      const s = createScheduler(name, { ...SD15, set_alpha_to_one: true });
      s.setTimesteps(25);
      const ac = (s as unknown as { alphasCumprod: Float32Array }).alphasCumprod;
      const alphaAtT = (t: number): number => {
        const j = Math.min(Math.floor(t), 998);
        return ac[j] + (ac[j + 1] - ac[j]) * (t - j);
      };
      let x: Float32Array = new Float32Array([s.initNoiseSigma * 1.3]);
      const inp = new Float32Array(1);
      for (let i = 0; i < s.numModelCalls; i++) {
        s.scaleModelInput(x, i, inp);
        const t = s.timesteps[i];
        // Use σ where the scheduler has one (fractional timesteps), ᾱ(t) otherwise.
        const a = s.sigmas ? 1 / (s.sigmas[i] ** 2 + 1) : alphaAtT(t);
        const eps = (inp[0] - Math.sqrt(a) * c) / Math.sqrt(1 - a);
        x = s.step(new Float32Array([eps]), i, x).prevSample;
      }
      expect(x[0]).toBeCloseTo(c, 2);
    },
  );

  it('adds noise at the first timestep consistently with the initial noise level', () => {
    for (const name of SCHEDULER_NAMES) {
      const s = createScheduler(name, SD15);
      s.setTimesteps(10);
      const noisy = s.addNoise(full(0), full(1), 0)[0];
      expect(noisy).toBeGreaterThan(0.9);
    }
  });
});
