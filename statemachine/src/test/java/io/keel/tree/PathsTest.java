package io.keel.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PathsTest {

  @ParameterizedTest
  @ValueSource(strings = {"/", "/a", "/a/b", "/a/b/c", "/.a", "/a.", "/a/...", "/a/.b/..c", "/ab c", "/\u00e9t\u00e9",
    "/a-b_c:d@e", "/\u00a0", "/\ufeff", "/\uf900", "/\uffef", "/0000000001", "/a/b0000000012"})
  void validPaths(String path) {
    assertNull(Paths.problem(path, false), path);
    assertNull(Paths.problem(path, true), path);
  }

  static Stream<Arguments> invalidPaths() {
    return Stream.of(
        Arguments.of(null, "path is null"),
        Arguments.of("", "path is empty"),
        Arguments.of("a", "must start with '/'"),
        Arguments.of("a/b", "must start with '/'"),
        Arguments.of(" /a", "must start with '/'"),
        Arguments.of("/a/", "must not end with '/'"),
        Arguments.of("/a/b/", "must not end with '/'"),
        Arguments.of("//", "empty segment at index 0"),
        Arguments.of("//a", "empty segment at index 0"),
        Arguments.of("/a//b", "empty segment at index 2"),
        Arguments.of("/a/b//", "empty segment at index 4"),
        Arguments.of("/.", "relative segment '.' at index 0"),
        Arguments.of("/..", "relative segment '..' at index 0"),
        Arguments.of("/a/./b", "relative segment '.' at index 2"),
        Arguments.of("/a/../b", "relative segment '..' at index 2"),
        Arguments.of("/a/..", "relative segment '..' at index 2"),
        Arguments.of("/a\u0000", "control character U+0000 at index 2"),
        Arguments.of("/\u0001", "control character U+0001 at index 1"),
        Arguments.of("/a\nb", "control character U+000A at index 2"),
        Arguments.of("/\u001f", "control character U+001F at index 1"),
        Arguments.of("/\u007f", "control character U+007F at index 1"),
        Arguments.of("/x\u0085", "control character U+0085 at index 2"),
        Arguments.of("/\u009f", "control character U+009F at index 1"),
        Arguments.of("/\ud800", "character U+D800 at index 1 is not allowed"),
        Arguments.of("/\ud83d\ude00", "character U+D83D at index 1 is not allowed"),
        Arguments.of("/\ue000", "character U+E000 at index 1 is not allowed"),
        Arguments.of("/\uf8ff", "character U+F8FF at index 1 is not allowed"),
        Arguments.of("/\ufff0", "character U+FFF0 at index 1 is not allowed"),
        Arguments.of("/\uffff", "character U+FFFF at index 1 is not allowed"),
        Arguments.of("/" + "x".repeat(Paths.MAX_LENGTH), "length 4097 exceeds the maximum of 4096 characters"));
  }

  @ParameterizedTest
  @MethodSource("invalidPaths")
  void invalidPaths(String path, String problem) {
    assertEquals(problem, Paths.problem(path, false));
  }

  static Stream<Arguments> sequentialPaths() {
    return Stream.of(
        Arguments.of("/", null),
        Arguments.of("/a/", null),
        Arguments.of("/a/b/", null),
        Arguments.of("/a/.", null),   // becomes "/a/.0000000001"
        Arguments.of("/a/..", null),
        Arguments.of("/lock-", null),
        Arguments.of("//", "empty segment at index 0"),
        Arguments.of("/a//", "empty segment at index 2"),
        Arguments.of("/./", "relative segment '.' at index 0"),
        Arguments.of("/a/./b", "relative segment '.' at index 2"),
        Arguments.of("a/", "must start with '/'"),
        Arguments.of("", "path is empty"),
        Arguments.of("/q\u0000/", "control character U+0000 at index 2"),
        Arguments.of("/" + "x".repeat(Paths.MAX_LENGTH - Paths.SEQUENTIAL_SUFFIX_RESERVE - 1), null),
        Arguments.of("/" + "x".repeat(Paths.MAX_LENGTH - Paths.SEQUENTIAL_SUFFIX_RESERVE),
            "length 4078 exceeds the maximum of 4077 characters for a sequential create"));
  }

  @ParameterizedTest
  @MethodSource("sequentialPaths")
  void sequentialCreatePaths(String path, String problem) {
    assertEquals(problem, Paths.problem(path, true));
  }

  @Test
  void longestPathIsValid() {
    assertNull(Paths.problem("/" + "x".repeat(Paths.MAX_LENGTH - 1), false));
  }

  @ParameterizedTest
  @MethodSource("parents")
  void parentAndName(String path, String parent, String name) {
    assertEquals(parent, Paths.parent(path));
    assertEquals(name, Paths.name(path));
  }

  static Stream<Arguments> parents() {
    return Stream.of(
        Arguments.of("/", null, ""),
        Arguments.of("/a", "/", "a"),
        Arguments.of("/a/b", "/a", "b"),
        Arguments.of("/a/b/c0000000001", "/a/b", "c0000000001"));
  }

  @Test
  void parentOfRelativePathIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> Paths.parent("a/b"));
    assertThrows(IllegalArgumentException.class, () -> Paths.name(""));
    assertThrows(IllegalArgumentException.class, () -> Paths.parent(null));
  }

  @Test
  void createParentsAndChildren() {
    assertEquals("/", Paths.parentForCreate("/"));
    assertEquals("/", Paths.parentForCreate("/a"));
    assertEquals("/a", Paths.parentForCreate("/a/"));
    assertEquals("/a", Paths.parentForCreate("/a/b"));
    assertEquals("/a", Paths.child("/", "a"));
    assertEquals("/a/b", Paths.child("/a", "b"));
  }

  @Test
  void quoteEscapesAndElides() {
    assertEquals("'/a'", Paths.quote("/a"));
    assertEquals("'/a\\u000ab'", Paths.quote("/a\nb"));
    assertEquals("'/it\\u0027s'", Paths.quote("/it's"));
    String longPath = "/" + "x".repeat(500);
    assertEquals("'" + longPath.substring(0, 120) + "...' (501 chars)", Paths.quote(longPath));
    assertEquals("null", Paths.quote(null));
  }
}
