import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.util.HashMap;

public class WordCount {
  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    HashMap<String, Long> counts = new HashMap<>();
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      for (String word : line.toLowerCase().split(" ")) {
        if (word.isEmpty()) continue;
        Long c = counts.get(word);
        counts.put(word, c == null ? 1L : c + 1);
      }
    }
    System.out.println("distinct: " + counts.size());
    for (String w : new String[] {"the", "and", "of", "to", "a"}) {
      System.out.println(w + ": " + counts.getOrDefault(w, 0L));
    }
  }
}
