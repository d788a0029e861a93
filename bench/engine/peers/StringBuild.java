public class StringBuild {
  public static void main(String[] args) {
    long n = Long.parseLong(args[0]);
    String s = "";
    for (long i = 0; i < n; i++) s = s + i + ",";
    System.out.println(s.length());
    System.out.println(s.substring(s.length() - 7));
  }
}
