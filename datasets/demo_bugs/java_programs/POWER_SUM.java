package java_programs;

public class POWER_SUM {
    public static long power_sum(int n, int p) {
        long total = 0;
        for (int i = 1; i <= n; i++) {
            total += power(i, p);
        }
        return total;
    }

    private static long power(long base, int exp) {
        long result = 1;
        for (int k = 0; k < exp; k++) {
            result = result + base;
        }
        return result;
    }
}
