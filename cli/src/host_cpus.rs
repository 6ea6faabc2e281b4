//! Keeping the bench off the CPUs that take the GPU's interrupts (Linux).
//!
//! On the H100 host of BENCHMARKS.md ("The wall's floor") every interrupt of the GPU lands on one CPU,
//! and a thread waiting there for the GPU saw an empty submit complete in 0.047–0.067 ms instead of
//! 0.017–0.024 (pinned there: slow in 14 benches of 14; pinned elsewhere: fast in 16 of 16). Unpinned, the
//! scheduler puts the waiting thread there about half the time. A decode loop that counts each forward's
//! latency keeps its waiting thread elsewhere, as latency-tuned CUDA hosts steer interrupts away from
//! their spinning threads; the bench does the same unless told not to.

use omnimoe::gpu::{buffers, Context};

/// [`keep_off`] the CPUs that take the GPU's interrupts ([`gpu_interrupt_cpus`]), found after a device
/// made for the purpose has waited for an empty submit (a driver's interrupt lines fire, and show where
/// they go, once a device waits on the GPU) and been dropped: call it before making the device to time.
/// What `omnimoe bench` does unless `--any-cpu`.
pub fn keep_off_gpu_interrupts() -> omnimoe::Result<Option<Vec<usize>>> {
    {
        let probe = Context::new_blocking()?;
        let encoder = probe.device.create_command_encoder(&Default::default());
        probe.queue.submit([encoder.finish()]);
        buffers::wait(&probe)?;
    }
    Ok(keep_off(&gpu_interrupt_cpus()))
}

/// The CPUs this process may run on, as Linux lists them in `/proc/self/status` (`Cpus_allowed_list`,
/// e.g. "0-15" or "6"); `None` where there is no such file.
pub fn cpus_allowed() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
        .map(|list| list.trim().to_string())
}

/// Interrupt names of GPU kernel drivers, as the last column of `/proc/interrupts` shows them.
const GPU_DRIVERS: [&str; 6] = ["nvidia", "amdgpu", "i915", "xe", "nouveau", "radeon"];

/// The CPUs the GPU drivers' interrupts are delivered to now: each interrupt line of a GPU driver that
/// has fired ([`fired_gpu_lines`]), through its `effective_affinity_list`. Empty where the files are
/// missing (not Linux, no such driver, no permission).
pub fn gpu_interrupt_cpus() -> Vec<usize> {
    let Ok(table) = std::fs::read_to_string("/proc/interrupts") else {
        return Vec::new();
    };
    let mut cpus: Vec<usize> = fired_gpu_lines(&table)
        .iter()
        .filter_map(|irq| {
            std::fs::read_to_string(format!("/proc/irq/{irq}/effective_affinity_list")).ok()
        })
        .flat_map(|list| parse_cpu_list(list.trim()))
        .collect();
    cpus.sort_unstable();
    cpus.dedup();
    cpus
}

/// The interrupt numbers of `table` (the text of `/proc/interrupts`) whose line names a GPU driver last
/// and has counted at least one interrupt on some CPU.
pub fn fired_gpu_lines(table: &str) -> Vec<String> {
    table
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let irq = fields.next()?.strip_suffix(':')?;
            let is_gpu = line
                .split_whitespace()
                .last()
                .is_some_and(|name| GPU_DRIVERS.contains(&name));
            let fired = fields
                .map_while(|f| f.parse::<u64>().ok())
                .any(|count| count > 0);
            (is_gpu && fired).then(|| irq.to_string())
        })
        .collect()
}

/// "0-3,8,10-11" → [0, 1, 2, 3, 8, 10, 11]; malformed parts are skipped.
pub fn parse_cpu_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    cpus.extend(a..=b);
                }
            }
            None => cpus.extend(part.parse::<usize>().ok()),
        }
    }
    cpus
}

/// Restricts this thread, and the threads it starts from now on (the driver's among them: call it before
/// making the device), to the CPUs it may use now less `avoid`. Returns the CPUs given up, or `None`
/// where that would leave none, `avoid` takes none of them, or the affinity cannot be read or set.
#[cfg(target_os = "linux")]
pub fn keep_off(avoid: &[usize]) -> Option<Vec<usize>> {
    // SAFETY: cpu_set_t is plain data; the calls get its size and a valid pointer to it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        let size = std::mem::size_of::<libc::cpu_set_t>();
        if libc::sched_getaffinity(0, size, &mut set) != 0 {
            return None;
        }
        let max = 8 * size;
        let allowed: Vec<usize> = (0..max).filter(|&c| libc::CPU_ISSET(c, &set)).collect();
        let dropped: Vec<usize> = allowed
            .iter()
            .copied()
            .filter(|c| avoid.contains(c))
            .collect();
        if dropped.is_empty() || dropped.len() == allowed.len() {
            return None;
        }
        for &c in &dropped {
            libc::CPU_CLR(c, &mut set);
        }
        (libc::sched_setaffinity(0, size, &set) == 0).then_some(dropped)
    }
}

/// Not Linux: nothing to do.
#[cfg(not(target_os = "linux"))]
pub fn keep_off(_avoid: &[usize]) -> Option<Vec<usize>> {
    None
}

#[cfg(test)]
mod tests {
    use super::{fired_gpu_lines, keep_off, parse_cpu_list};

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("14"), vec![14]);
        assert_eq!(parse_cpu_list("0-3,8,10-11"), vec![0, 1, 2, 3, 8, 10, 11]);
        assert_eq!(parse_cpu_list(""), Vec::<usize>::new());
        assert_eq!(parse_cpu_list("x,2,3-y"), vec![2]);
    }

    #[test]
    fn fired_gpu_lines_of_a_table() {
        let table = "            CPU0       CPU1       CPU2
  1:          0          9          0  IO-APIC   1-edge      i8042
 42:          0          0          0  PCI-MSIX-0000:00:06.0   0-edge      nvidia
 44:         14          0          0  PCI-MSIX-0000:00:06.0   2-edge      nvidia
 47:          0          0      39858  PCI-MSIX-0000:00:06.0   5-edge      nvidia
 60:          3          0          0  PCI-MSI 524288-edge      amdgpu
 61:          7          0          0  PCI-MSI 1-edge      nvme0q0
NMI:          0          0          0   Non-maskable interrupts
";
        assert_eq!(fired_gpu_lines(table), vec!["44", "47", "60"]);
        assert!(fired_gpu_lines("").is_empty());
    }

    /// The CPUs this thread may run on, from /proc.
    #[cfg(target_os = "linux")]
    fn thread_cpus() -> Vec<usize> {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        let list = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .unwrap();
        parse_cpu_list(list.trim())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn keeps_a_thread_off_a_cpu() {
        // In a thread of its own: the affinity is the thread's, and its children's.
        std::thread::spawn(|| {
            let before = thread_cpus();
            assert_eq!(keep_off(&[]), None);
            assert_eq!(keep_off(&before), None, "never every CPU");
            if before.len() < 2 {
                return;
            }
            assert_eq!(keep_off(&[before[0], usize::MAX]), Some(vec![before[0]]));
            assert_eq!(thread_cpus(), before[1..].to_vec());
            let child = std::thread::spawn(thread_cpus).join().unwrap();
            assert_eq!(child, before[1..].to_vec());
        })
        .join()
        .unwrap();
    }
}
