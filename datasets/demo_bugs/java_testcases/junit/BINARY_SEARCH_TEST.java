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
}
