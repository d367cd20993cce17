package java_testcases.junit;

import org.junit.Assert;
import org.junit.Test;

import java_programs.BINARY_SEARCH;

public class BINARY_SEARCH_TEST {
    @Test
    public void test1() {
        Assert.assertEquals(2, BINARY_SEARCH.binary_search(new int[] {1, 3, 5, 7, 9}, 5));
    }

    @Test
    public void test2() {
        Assert.assertEquals(-1, BINARY_SEARCH.binary_search(new int[] {1, 3, 5, 7, 9}, 4));
    }

    @Test
    public void test3() {
        Assert.assertEquals(0, BINARY_SEARCH.binary_search(new int[] {5}, 5));
    }

    @Test
    public void test4() {
        Assert.assertEquals(3, BINARY_SEARCH.binary_search(new int[] {1, 3, 5, 7}, 7));
    }

    @Test
    public void test5() {
        Assert.assertEquals(0, BINARY_SEARCH.binary_search(new int[] {1, 3, 5, 7}, 1));
    }

    @Test
    public void test6() {
        Assert.assertEquals(-1, BINARY_SEARCH.binary_search(new int[] {}, 2));
    }

    @Test
    public void test7() {
        // An element inside the array, left of the middle: a search that starts past the end misses it.
        Assert.assertEquals(1, BINARY_SEARCH.binary_search(new int[] {1, 3, 5, 7}, 3));
    }

    /** {1, 3, 5, ...}: the first n odd numbers. */
    private static int[] odds(int n) {
        int[] arr = new int[n];
        for (int i = 0; i < n; i++) {
            arr[i] = 2 * i + 1;
        }
        return arr;
    }

    @Test
    public void test8() {
        // Every element of arrays of every length up to 9 is found at its index.
        for (int n = 1; n <= 9; n++) {
            int[] arr = odds(n);
            for (int i = 0; i < n; i++) {
                Assert.assertEquals("length " + n + ", element " + arr[i], i, BINARY_SEARCH.binary_search(arr, arr[i]));
            }
        }
    }

    @Test
    public void test9() {
        // Values below, between and above the elements are not found.
        for (int n = 0; n <= 9; n++) {
            int[] arr = odds(n);
            for (int x = 0; x <= 2 * n; x += 2) {
                Assert.assertEquals("length " + n + ", value " + x, -1, BINARY_SEARCH.binary_search(arr, x));
            }
        }
    }
}
